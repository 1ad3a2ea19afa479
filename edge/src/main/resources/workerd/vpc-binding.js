// The wrapper of a Workers VPC binding (vpc_services / vpc_networks) in workerd, written next to the config by
// `edge workerd-config`. workerd instantiates it as a wrapped binding: `env.gateway` is an external service at the
// edge's worker gateway that injects the worker's gateway token and the binding's name into every request.
//
// env.BINDING.fetch(input, init) behaves as on Cloudflare: the private origin's response comes back as is, and when
// the fetch cannot be made (the gateway answers with a `cf-vpc-error` header) fetch() rejects with an Error whose
// message is "CODE: message" and whose `code` property is the contract's error code (connect_failed, no_route, ...).

const ERROR_HEADER = "cf-vpc-error";

export class VpcFetchError extends Error {
  constructor(code, message, status) {
    super(`${code}: ${message}`);
    this.name = "VpcFetchError";
    this.code = code;
    this.status = status;
  }
}

class VpcBinding {
  #gateway;
  #name;

  constructor(gateway, name) {
    this.#gateway = gateway;
    this.#name = name;
  }

  async fetch(input, init) {
    const response = await this.#gateway.fetch(input, init);
    const code = response.headers.get(ERROR_HEADER);
    if (code === null) {
      return response;
    }
    let message = `the fetch through binding ${this.#name} could not be made (HTTP ${response.status})`;
    try {
      const body = await response.json();
      if (body && body.error && typeof body.error.message === "string") {
        message = body.error.message;
      }
    } catch {
      // not JSON: keep the generic message
    }
    throw new VpcFetchError(code, message, response.status);
  }

  connect() {
    throw new Error(`binding ${this.#name}: connect() (TCP) is not supported, use fetch()`);
  }

  toString() {
    return `[VpcBinding ${this.#name}]`;
  }
}

// Entry point of the wrapped binding: `env` holds the inner bindings (`gateway`, and `name` as text).
export default function makeBinding(env) {
  return new VpcBinding(env.gateway, env.name);
}
