// Unmodified Workers code: the same script runs on Cloudflare Workers VPC and, through `edge workerd-config`, in
// workerd against this project's edge.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const path = url.pathname === "/" ? "/data" : url.pathname;
    try {
      // The private origin's response comes back as is.
      return await env.PRIVATE_API.fetch(`http://api.internal${path}${url.search}`);
    } catch (e) {
      // fetch() rejects when the fetch cannot be made; the message starts with the error code (connect_failed, ...).
      return new Response(`fetch() through PRIVATE_API failed: ${e.message}\n`, { status: 502 });
    }
  },
};
