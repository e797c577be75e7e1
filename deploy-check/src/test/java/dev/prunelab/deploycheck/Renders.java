package dev.prunelab.deploycheck;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The repository, and each kustomization of deploy/k8s rendered once per test JVM. */
final class Renders {

    /** Every kustomization a user deploys (deploy/README.md): the default (= base) and each overlay. */
    static final List<String> TARGETS = List.of("deploy/k8s", "deploy/k8s/overlays/gpu", "deploy/k8s/overlays/rapl",
            "deploy/k8s/overlays/monitoring");

    /** Plain manifests applied with kubectl apply -f, outside the kustomizations. */
    static final List<String> PLAIN = List.of("deploy/k8s/tools/data-loader.yaml");

    private static final Map<String, List<JsonNode>> CACHE = new ConcurrentHashMap<>();
    private static volatile Kustomize kustomize;

    private Renders() {
    }

    static Path repo() {
        String configured = System.getProperty("prunelab.repo");
        Path repo = configured != null ? Path.of(configured) : Path.of("").toAbsolutePath().getParent();
        repo = repo.toAbsolutePath().normalize();
        if (!Files.isDirectory(repo.resolve("deploy/k8s"))) {
            throw new AssertionError("not the repository root (no deploy/k8s): " + repo);
        }
        return repo;
    }

    static Kustomize kustomize() {
        if (kustomize == null) {
            kustomize = Kustomize.find();
        }
        return kustomize;
    }

    /** The documents of a target: rendered by kustomize, or read as they are for {@link #PLAIN} files. */
    static List<JsonNode> documents(String target) {
        return CACHE.computeIfAbsent(target, t -> {
            try {
                Path path = repo().resolve(t);
                String yaml = Files.isDirectory(path) ? kustomize().build(path) : Files.readString(path);
                List<JsonNode> documents = StrictManifests.documents(yaml);
                if (documents.isEmpty()) {
                    throw new AssertionError(t + " rendered no documents");
                }
                return List.copyOf(documents);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
