import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;

/**
 * The bench's floor for a relay written like ours (scripts/bench.sh, path "bare"): a plain TCP relay on Netty's
 * epoll transport with pooled buffers, no TLS, no HTTP, one outbound connection per accepted one, one read in flight
 * per direction. Two of them in a row (wrk -> relay -> relay -> nginx) cross the same loopback hops as ssh -L and as
 * edge + connector; what a request costs them is what Java and Netty cost before the tunnel does any work of its own.
 *
 *   java -cp edge/target/edge.jar scripts/bench/BareRelay.java LISTEN_PORT TARGET_PORT THREADS   (both on 127.0.0.1)
 */
public final class BareRelay {
    public static void main(String[] args) throws InterruptedException {
        int listen = Integer.parseInt(args[0]);
        int target = Integer.parseInt(args[1]);
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(Integer.parseInt(args[2]), EpollIoHandler.newFactory());
        new ServerBootstrap().group(loops).channel(EpollServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, false).childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel in) {
                        ChannelFuture connect = new Bootstrap().group(in.eventLoop()).channel(EpollSocketChannel.class)
                                .option(ChannelOption.AUTO_READ, false).option(ChannelOption.TCP_NODELAY, true)
                                .handler(new Pipe(in)).connect("127.0.0.1", target);
                        Channel out = connect.channel();
                        in.pipeline().addLast(new Pipe(out));
                        connect.addListener(f -> {
                            if (f.isSuccess()) { // each side reads once both are connected
                                in.read();
                                out.read();
                            } else {
                                in.close();
                            }
                        });
                    }
                }).bind("127.0.0.1", listen).sync();
        System.out.println("bare relay 127.0.0.1:" + listen + " -> 127.0.0.1:" + target);
        Thread.currentThread().join();
    }

    /** Writes what its channel reads to {@code peer}; reads the next chunk once that write is done. */
    private static final class Pipe extends ChannelInboundHandlerAdapter {
        private final Channel peer;

        Pipe(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            peer.writeAndFlush(msg).addListener(f -> {
                if (f.isSuccess()) {
                    ctx.read();
                } else {
                    ctx.close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            peer.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
