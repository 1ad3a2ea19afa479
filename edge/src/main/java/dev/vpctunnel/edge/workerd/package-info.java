/**
 * Running a worker in workerd, Cloudflare's open-source Workers runtime, against this edge's worker gateway:
 * {@link dev.vpctunnel.edge.workerd.WorkerdConfig} renders the capnp config (the worker's modules, and each VPC
 * binding as a wrapped binding around an {@code external} service at the gateway), and
 * {@link dev.vpctunnel.edge.workerd.WorkerdConfigWriter} writes it with the wrapper module
 * ({@code resources/workerd/vpc-binding.js}).
 */
package dev.vpctunnel.edge.workerd;
