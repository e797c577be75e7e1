package dev.prunelab.measure;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A second process for {@link HostWorkLockTest}. It says on stdout what it does, one line each, stamped with
 * {@link System#currentTimeMillis()}: "waiting" just before it asks for work (or a window), "holding" once it has
 * it, then it holds until the parent writes "release" on its stdin, says "releasing" and releases. No step depends
 * on how long another takes.
 */
public final class HostWorkLockChild {
    private HostWorkLockChild() {
    }

    public static void main(String[] args) throws IOException {
        HostWorkLock lock = HostWorkLock.at(Path.of(args[0]));
        boolean work = args[1].equals("work");
        BufferedReader parent = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        say("waiting");
        try (HostWorkLock.Hold hold = work ? lock.work() : lock.measurementWindow()) {
            say("holding");
            String line;
            do {
                line = parent.readLine();
            } while (line != null && !line.equals("release"));
            say("releasing");
        }
    }

    private static void say(String what) {
        System.out.println(what + " " + System.currentTimeMillis());
        System.out.flush();
    }
}
