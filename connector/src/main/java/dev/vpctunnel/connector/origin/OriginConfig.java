package dev.vpctunnel.connector.origin;

import java.nio.file.Path;
import java.util.List;

/**
 * What the connector CLI says about origins: extra trusted roots (--origin-ca, or a config file's key, named in
 * refusals by {@code originCaLabel}) and the --allow/--deny policy.
 */
public record OriginConfig(List<Path> originCaFiles, String originCaLabel, List<String> allowCidrs, List<String> denyCidrs) {
    public OriginConfig {
        originCaFiles = originCaFiles == null ? List.of() : List.copyOf(originCaFiles);
        originCaLabel = originCaLabel == null ? "--origin-ca" : originCaLabel;
        allowCidrs = allowCidrs == null ? List.of() : List.copyOf(allowCidrs);
        denyCidrs = denyCidrs == null ? List.of() : List.copyOf(denyCidrs);
    }

    /** Roots given with --origin-ca. */
    public OriginConfig(List<Path> originCaFiles, List<String> allowCidrs, List<String> denyCidrs) {
        this(originCaFiles, "--origin-ca", allowCidrs, denyCidrs);
    }
}
