package dev.scopeflow.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Loopback port checks. Services only ever listen on 127.0.0.1. */
final class Ports {

    static final String LOOPBACK = "127.0.0.1";

    private Ports() {}

    /**
     * A port that was free a moment ago. Racy by nature; callers start their server right after.
     */
    static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("Could not find a free port on " + LOOPBACK, e);
        }
    }

    /** Whether binding 127.0.0.1:port succeeds right now. */
    static boolean isFree(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true); // TIME_WAIT from our own previous run must not count as "in use"
            socket.bind(new InetSocketAddress(InetAddress.getByName(LOOPBACK), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Fails with a message naming the port, the service and how to choose another port.
     *
     * @param howToChange e.g. "--kafka-port" or "LocalServices.Options.kafkaPort(int)"
     */
    static void requireFree(int port, String service, String howToChange) {
        if (!isFree(port)) {
            throw new IllegalStateException("Port "
                    + port
                    + " on "
                    + LOOPBACK
                    + " is already in use, so "
                    + service
                    + " cannot listen on it. Stop whatever uses it (e.g. `ss -ltnp 'sport ="
                    + " :"
                    + port
                    + "'`) or choose another port with "
                    + howToChange
                    + ".");
        }
    }

    static int requireValid(int port, String what) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException(what + " must be in 1..65535, got " + port);
        }
        return port;
    }
}
