package dev.vpctunnel.connector.cli;

import dev.vpctunnel.core.InputFiles;
import dev.vpctunnel.core.link.TunnelToken;

import java.nio.file.Path;
import java.util.logging.Logger;

/** Where the tunnel token comes from: --token, --token-file, or TUNNEL_TOKEN (in that order). */
final class TokenSource {
    private static final Logger LOG = Logger.getLogger(TokenSource.class.getName());
    static final String ENV = "TUNNEL_TOKEN";

    private TokenSource() {
    }

    static TunnelToken resolve(String token, Path tokenFile, String env) {
        return resolve(token, tokenFile, "--token-file", env);
    }

    /** {@code tokenFileLabel}: how refusals about the token file start ("--token-file", or the config file's key). */
    static TunnelToken resolve(String token, Path tokenFile, String tokenFileLabel, String env) {
        String raw;
        String from;
        if (token != null) {
            raw = token;
            from = "--token";
        } else if (tokenFile != null) {
            raw = readFile(tokenFile, tokenFileLabel);
            from = InputFiles.name(tokenFile, tokenFileLabel);
        } else if (env != null && !env.isBlank()) {
            raw = env;
            from = "the environment variable " + ENV;
        } else {
            throw new IllegalArgumentException("a tunnel token is required: --token-file FILE, the environment variable "
                    + ENV + ", or --token (visible in ps; prefer the other two)");
        }
        try {
            return TunnelToken.decode(raw.trim());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + " (from " + from + ")");
        }
    }

    private static String readFile(Path f, String label) {
        String token = InputFiles.read(f, label, InputFiles.TEXT_MAX);
        if (ConfigFile.readableByOthers(f)) { // false when permissions are unknown on this file system
            LOG.warning(() -> "token file " + f + " is readable by other users; restrict it: chmod 600 " + f);
        }
        return token;
    }
}
