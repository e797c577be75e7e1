package dev.prunelab.deploycheck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Renders a kustomization with the real kustomize: the binary named by {@code KUSTOMIZE} (what .ci/run sets, from
 * deploy/k8s/install-kustomize.sh), else {@code kustomize} on the PATH, else {@code kubectl kustomize}. Rendering
 * that fails, or no tool at all, is an {@link AssertionError}: the checks never skip.
 */
final class Kustomize {

    private final List<String> command;
    private final String version;

    private Kustomize(List<String> command, String version) {
        this.command = command;
        this.version = version;
    }

    /** The first tool found, in the order above. */
    static Kustomize find() {
        List<String> tried = new ArrayList<>();
        String env = System.getenv("KUSTOMIZE");
        if (env != null && !env.isBlank()) {
            if (!Files.isExecutable(Path.of(env))) {
                throw new AssertionError("KUSTOMIZE=" + env + " is not an executable file");
            }
            return new Kustomize(List.of(env, "build"), describe(Path.of(env)));
        }
        tried.add("$KUSTOMIZE (unset)");
        Path onPath = onPath("kustomize");
        if (onPath != null) {
            return new Kustomize(List.of(onPath.toString(), "build"), describe(onPath));
        }
        tried.add("kustomize on PATH");
        Path kubectl = onPath("kubectl");
        if (kubectl != null) {
            String version = run(List.of(kubectl.toString(), "version", "--client")).lines()
                    .filter(l -> l.startsWith("Kustomize Version")).findFirst()
                    .orElse("kubectl without a Kustomize Version line (kubectl < 1.21, kustomize 2.0.3: too old)");
            return new Kustomize(List.of(kubectl.toString(), "kustomize"), "kubectl kustomize, " + version);
        }
        tried.add("kubectl on PATH");
        throw new AssertionError("no kustomize to render deploy/k8s with (tried " + String.join(", ", tried)
                + "); run deploy/k8s/install-kustomize.sh and set KUSTOMIZE to the path it prints");
    }

    String version() {
        return version;
    }

    /** kustomize build DIR: the rendered multi-document YAML. */
    String build(Path dir) {
        List<String> cmd = new ArrayList<>(command);
        cmd.add(dir.toString());
        return run(cmd);
    }

    private static String run(List<String> cmd) {
        try {
            Path err = Files.createTempFile("kustomize", ".err");
            try {
                Process process = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
                process.getOutputStream().close();
                String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                if (!process.waitFor(120, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    throw new AssertionError(String.join(" ", cmd) + " did not finish in 120 s");
                }
                if (process.exitValue() != 0) {
                    throw new AssertionError(String.join(" ", cmd) + " failed (exit " + process.exitValue() + "): "
                            + Files.readString(err).strip());
                }
                return out;
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", cmd) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted running " + String.join(" ", cmd), e);
        }
    }

    /** "kustomize VERSION (PATH)"; Debian's build says "(devel)", so the package install-kustomize.sh noted. */
    private static String describe(Path binary) {
        String version = firstLine(run(List.of(binary.toString(), "version")));
        Path root = binary.toAbsolutePath().getParent().getParent();
        Path noted = root == null || root.getParent() == null ? null : root.getParent().resolve("PACKAGE");
        if (noted != null && Files.isRegularFile(noted)) {
            try {
                version = Files.readString(noted).strip();
            } catch (IOException e) {
                // keep what the binary says
            }
        }
        return "kustomize " + version + " (" + binary + ")";
    }

    private static String firstLine(String text) {
        return text.lines().findFirst().orElse("").strip();
    }

    private static Path onPath(String name) {
        String path = System.getenv("PATH");
        if (path == null) {
            return null;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }
}
