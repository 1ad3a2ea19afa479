package dev.vpctunnel.connector.dns;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.resolver.dns.DnsCache;
import io.netty.resolver.dns.DnsCacheEntry;
import io.netty.resolver.dns.DnsCnameCache;

import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Keeps an answer reached through CNAMEs no longer than the shortest TTL on its chain, as a caching resolver does.
 * Netty caches a name's addresses with the final A/AAAA record's TTL only, so an alias that moved was followed only
 * once its old target's addresses expired. Wraps the CNAME cache (to learn each alias's TTL) and the answer cache (to
 * cap what it keeps).
 */
final class CnameTtls {
    /** Aliases remembered; past this, expired ones are dropped, and all of them if that is not enough. */
    static final int MAX_ALIASES = 10_000;
    private static final int MAX_HOPS = 16;

    private record Alias(String target, long expiresAt) {
    }

    private final Map<String, Alias> aliases = new ConcurrentHashMap<>();

    private static String key(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    /** Seconds until the first alias on {@code hostname}'s chain expires; Long.MAX_VALUE when it is no alias. */
    long chainTtl(String hostname) {
        long now = System.nanoTime();
        long soonest = Long.MAX_VALUE;
        String name = key(hostname);
        for (int hops = 0; hops < MAX_HOPS; hops++) {
            Alias a = aliases.get(name);
            long left = a == null ? 0 : a.expiresAt - now;
            if (left <= 0) { // not an alias, or no longer known to be one: the chain ends here
                break;
            }
            soonest = Math.min(soonest, (left + 999_999_999L) / 1_000_000_000L); // whole seconds, rounded up
            name = a.target;
        }
        return soonest;
    }

    private void remember(String hostname, String cname, long ttlSeconds) {
        if (aliases.size() >= MAX_ALIASES) {
            long now = System.nanoTime();
            aliases.values().removeIf(a -> a.expiresAt - now <= 0);
            if (aliases.size() >= MAX_ALIASES) {
                aliases.clear();
            }
        }
        aliases.put(key(hostname), new Alias(key(cname), System.nanoTime() + TimeUnit.SECONDS.toNanos(ttlSeconds)));
    }

    DnsCnameCache cnames(DnsCnameCache delegate) {
        return new DnsCnameCache() {
            @Override
            public String get(String hostname) {
                return delegate.get(hostname);
            }

            @Override
            public void cache(String hostname, String cname, long originalTtl, EventLoop loop) {
                remember(hostname, cname, originalTtl);
                delegate.cache(hostname, cname, originalTtl, loop);
            }

            @Override
            public void clear() {
                aliases.clear();
                delegate.clear();
            }

            @Override
            public boolean clear(String hostname) {
                aliases.remove(key(hostname));
                return delegate.clear(hostname);
            }
        };
    }

    DnsCache answers(DnsCache delegate) {
        return new DnsCache() {
            @Override
            public void clear() {
                delegate.clear();
            }

            @Override
            public boolean clear(String hostname) {
                return delegate.clear(hostname);
            }

            @Override
            public List<? extends DnsCacheEntry> get(String hostname, DnsRecord[] additionals) {
                return delegate.get(hostname, additionals);
            }

            @Override
            public DnsCacheEntry cache(String hostname, DnsRecord[] additionals, InetAddress address, long originalTtl,
                                       EventLoop loop) {
                return delegate.cache(hostname, additionals, address, Math.min(originalTtl, chainTtl(hostname)), loop);
            }

            @Override
            public DnsCacheEntry cache(String hostname, DnsRecord[] additionals, Throwable cause, EventLoop loop) {
                return delegate.cache(hostname, additionals, cause, loop);
            }
        };
    }
}
