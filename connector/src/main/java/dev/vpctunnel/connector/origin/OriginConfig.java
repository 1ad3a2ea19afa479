package dev.vpctunnel.connector.origin;

import java.nio.file.Path;
import java.util.List;

/** What the connector CLI says about origins: extra trusted roots (--origin-ca) and the --allow/--deny policy. */
public record OriginConfig(List<Path> originCaFiles, List<String> allowCidrs, List<String> denyCidrs) {
    public OriginConfig {
        originCaFiles = originCaFiles == null ? List.of() : List.copyOf(originCaFiles);
        allowCidrs = allowCidrs == null ? List.of() : List.copyOf(allowCidrs);
        denyCidrs = denyCidrs == null ? List.of() : List.copyOf(denyCidrs);
    }
}
