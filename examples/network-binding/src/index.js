// env.MY_VPC reaches any host and port routed to one of the account's tunnels.
//   curl 'http://127.0.0.1:8788/?url=http://10.0.1.50/data'
export default {
  async fetch(request, env) {
    const target = new URL(request.url).searchParams.get("url") ?? "http://10.0.1.50/data";
    try {
      return await env.MY_VPC.fetch(target);
    } catch (e) {
      // e.g. "no_route: ..." when no route covers the address, "connect_failed: ..." when nothing listens there.
      return new Response(`fetch(${target}) through MY_VPC failed: ${e.message}\n`, { status: 502 });
    }
  },
};
