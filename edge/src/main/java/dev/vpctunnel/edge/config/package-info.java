/** Reading a worker's wrangler.jsonc / wrangler.toml: {@link dev.vpctunnel.edge.config.WranglerConfig}. */
package dev.vpctunnel.edge.config;
