package dev.vpctunnel.edge.directory;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs the directory's refresh on a thread of its own, for callers that must not block (an event loop). A request that
 * arrives while one is still queued shares it: at most one refresh runs and one waits, however many callers ask.
 */
final class CatchUp {
    private final Runnable refresh;
    private ExecutorService executor;
    private CompletableFuture<Void> queued;
    private boolean closed;

    CatchUp(Runnable refresh) {
        this.refresh = refresh;
    }

    /** Completes once a refresh that started after this call is done; fails as the refresh did. */
    synchronized CompletableFuture<Void> request() {
        if (queued != null) {
            return queued; // not started yet: it will see every write committed before now
        }
        if (closed) {
            return CompletableFuture.failedFuture(new RejectedExecutionException("the directory is closed"));
        }
        if (executor == null) {
            executor = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "directory-catch-up");
                t.setDaemon(true);
                return t;
            });
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        queued = f;
        executor.execute(() -> {
            synchronized (this) {
                queued = null; // from now on a new request queues the next refresh
            }
            try {
                refresh.run();
                f.complete(null);
            } catch (Throwable e) {
                f.completeExceptionally(e); // an Error too: the registrations sharing f must not wait for ever
            }
        });
        return f;
    }

    synchronized void close() {
        closed = true;
        if (executor != null) {
            executor.shutdownNow();
        }
        if (queued != null) {
            queued.completeExceptionally(new RejectedExecutionException("the directory is closed"));
            queued = null;
        }
    }
}
