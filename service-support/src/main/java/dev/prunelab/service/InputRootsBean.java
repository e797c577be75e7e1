package dev.prunelab.service;

import dev.prunelab.work.InputRoots;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;
import java.nio.file.Path;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Where requests may name files, read the same way by the gateway, the pruner and the evaluator: the models root
 * ({@code prunelab.roots.models}, env PRUNELAB_MODELS), the data root ({@code prunelab.roots.data}, env
 * PRUNELAB_DATA), each a comma-separated list, and the artifact store. Unset means none: a service configured with
 * no roots reads no request's files at all.
 */
public class InputRootsBean {
    private static final Logger LOG = Logger.getLogger(InputRootsBean.class);

    @Produces
    @Singleton
    InputRoots inputRoots(@ConfigProperty(name = "prunelab.roots.models") Optional<String> models,
            @ConfigProperty(name = "prunelab.roots.data") Optional<String> data,
            @ConfigProperty(name = "prunelab.artifacts.dir") Optional<String> artifacts) {
        InputRoots roots = InputRoots.of(models.orElse(null), data.orElse(null),
                artifacts.filter(a -> !a.isBlank()).map(Path::of));
        LOG.infof("request files are read only from: %s", roots.roots().isEmpty() ? "(no roots configured)" : roots);
        return roots;
    }
}
