package dev.prunelab.service;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fresh temporary directories for the settings a test resource hands a service (a store, a host lock, a machine's
 * fixtures): its start cannot throw a checked exception. Shipped in service-support's test-jar, for the services'
 * tests.
 */
public final class TestDirectories {
    private TestDirectories() {
    }

    public static Path create(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
