package dev.prunelab.service;

import java.util.UUID;

/** A name for this service process among its replicas: what it writes into the store's claims and staging. */
public final class ReplicaId {
    private ReplicaId() {
    }

    /** {@code <service>-<pod or host>-<pid>-<random>}: unique even when a pod restarts with the same pid. */
    public static String of(String service) {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            host = "local";
        }
        return (service + "-" + host + "-" + ProcessHandle.current().pid() + "-"
                + UUID.randomUUID().toString().substring(0, 8)).replaceAll("[^A-Za-z0-9._-]", "_");
    }
}
