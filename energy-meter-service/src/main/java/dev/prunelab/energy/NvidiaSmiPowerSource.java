package dev.prunelab.energy;

import dev.prunelab.events.PowerSourceKind;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalDouble;
import java.util.concurrent.TimeUnit;

/**
 * A GPU's board power as {@code nvidia-smi} reports it (it reads NVML, so samples say source {@code nvml}):
 * {@code nvidia-smi --id=N --query-gpu=power.draw --format=csv,noheader,nounits}, one line of watts per GPU,
 * or {@code [N/A]} / {@code [Not Supported]} where the board has no sensor. An instantaneous reading, not an
 * interval mean: the sampler's interval is the resolution.
 */
public final class NvidiaSmiPowerSource implements PowerSource {

    /** Runs a command and returns its standard output; fails on a non-zero exit. */
    @FunctionalInterface
    public interface CommandRunner {
        String run(List<String> command) throws IOException;
    }

    private final CommandRunner runner;
    private final int gpuIndex;

    public NvidiaSmiPowerSource(CommandRunner runner, int gpuIndex) {
        this.runner = runner;
        this.gpuIndex = gpuIndex;
    }

    /** The query for all GPUs ({@code gpuIndex} < 0) or one. */
    public static List<String> command(int gpuIndex) {
        List<String> command = new ArrayList<>(List.of("nvidia-smi"));
        if (gpuIndex >= 0) {
            command.add("--id=" + gpuIndex);
        }
        command.addAll(List.of("--query-gpu=power.draw", "--format=csv,noheader,nounits"));
        return command;
    }

    /** One entry per GPU line, in GPU index order; empty where the GPU reports no power. */
    public static List<OptionalDouble> parse(String output) {
        List<OptionalDouble> watts = new ArrayList<>();
        int lineNumber = 0;
        for (String raw : output.split("\\R")) {
            lineNumber++;
            String line = raw.trim();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("[") || line.equalsIgnoreCase("N/A")) {
                watts.add(OptionalDouble.empty());
                continue;
            }
            try {
                watts.add(OptionalDouble.of(Double.parseDouble(line)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("nvidia-smi line " + lineNumber + " '" + line
                        + "' is not a power reading in watts");
            }
        }
        return watts;
    }

    /** Runs a process with a 10 s limit; the default runner. */
    public static String runProcess(List<String> command) throws IOException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try (InputStream out = process.getInputStream()) {
            String text = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish in 10 s");
            }
            if (process.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " exited with " + process.exitValue() + ": "
                        + text.strip());
            }
            return text;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IOException("interrupted while running " + command.get(0), e);
        }
    }

    @Override
    public String device() {
        return "gpu" + gpuIndex;
    }

    @Override
    public PowerSourceKind kind() {
        return PowerSourceKind.NVML;
    }

    @Override
    public String basis() {
        return "nvidia-smi power.draw of GPU " + gpuIndex + " (NVML board power)";
    }

    @Override
    public OptionalDouble sampleWatts(Instant now) throws IOException {
        List<OptionalDouble> watts = parse(runner.run(command(gpuIndex)));
        if (watts.size() != 1) {
            throw new IOException("nvidia-smi returned " + watts.size() + " readings for GPU " + gpuIndex);
        }
        return watts.get(0);
    }
}
