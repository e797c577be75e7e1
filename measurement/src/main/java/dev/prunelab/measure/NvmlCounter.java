package dev.prunelab.measure;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A GPU's total-energy counter through NVML's C API ({@code nvmlDeviceGetTotalEnergyConsumption}: millijoules
 * since the driver was loaded; Volta and newer), called in-process through JNA: no nvidia-smi process per read.
 * The counter covers the whole board, so it belongs inside an exclusive window.
 *
 * <p>The driver refreshes the counter every few tens of milliseconds, not continuously: a window of a few
 * milliseconds reads 0 J or one whole step. Opened for a {@link GpuDevice}, the counter measures its own update
 * period first ({@link #updatePeriodSeconds()}), so that the windows read from it can be made long enough.
 */
public final class NvmlCounter implements EnergyCounter {

    /** The few NVML calls used, as JNA binds them; tests substitute their own. */
    public interface Nvml {
        int nvmlInit_v2();

        int nvmlShutdown();

        int nvmlDeviceGetCount_v2(IntByReference count);

        int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

        int nvmlDeviceGetTotalEnergyConsumption(Pointer device, LongByReference energyMilliJoules);

        int nvmlDeviceGetName(Pointer device, byte[] name, int length);

        /** "GPU-" + 36 characters (or "MIG-..." for a MIG device), NUL-terminated. */
        int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length);

        int nvmlDeviceGetHandleByUUID(String uuid, PointerByReference device);

        /** The board's NVML index (PCI bus order), whatever CUDA_VISIBLE_DEVICES says. */
        int nvmlDeviceGetIndex(Pointer device, IntByReference index);

        String nvmlErrorString(int result);
    }

    /** JNA's binding of libnvidia-ml. */
    interface NvmlLibrary extends Nvml, Library {
    }

    private static final int NVML_SUCCESS = 0;
    /** NVML_DEVICE_UUID_V2_BUFFER_SIZE. */
    private static final int UUID_BUFFER = 96;
    /** The update period is read over at most this long: a few periods of the slowest boards. */
    public static final long PERIOD_WAIT_NANOS = 500_000_000L;
    /** ... or until the counter changed this many times (the intervals between changes are one fewer). */
    static final int PERIOD_CHANGES = 6;

    private final Nvml nvml;
    private final Pointer device;
    private final GpuDevice.Board board;
    private final String mapping;          // how a CUDA ordinal led here, or null (opened by NVML index)
    private final long startMilliJoules;
    private final UpdatePeriod period;     // null: not measured (opened by NVML index, for sampling)
    private boolean closed;

    private NvmlCounter(Nvml nvml, Pointer device, GpuDevice.Board board, String mapping, long startMilliJoules,
            UpdatePeriod period) {
        this.nvml = nvml;
        this.device = device;
        this.board = board;
        this.mapping = mapping;
        this.startMilliJoules = startMilliJoules;
        this.period = period;
    }

    /**
     * How often the counter's value changed, read in a tight loop when it was opened: the median interval between
     * changes, or, when it changed fewer than twice within the wait, the wait itself as a lower bound.
     */
    public record UpdatePeriod(double seconds, int intervals, boolean lowerBound) {
        public String describe() {
            return lowerBound
                    ? String.format(Locale.ROOT, "the counter changed fewer than twice in %.0f ms: its update period "
                            + "is taken as %.0f ms", seconds * 1e3, seconds * 1e3)
                    : String.format(Locale.ROOT, "the counter updates every %.1f ms (median of %d intervals read at "
                            + "open)", seconds * 1e3, intervals);
        }
    }

    /** GPU {@code index} through the system's libnvidia-ml; fails with one line when NVML or the GPU is missing. */
    public static NvmlCounter open(int index) throws IOException {
        return open(system(), index);
    }

    /**
     * The board behind {@code gpu} through the system's libnvidia-ml, its update period measured against
     * {@link System#nanoTime()}; fails with one line when NVML is missing or the board cannot be named.
     */
    public static NvmlCounter open(GpuDevice gpu) throws IOException {
        return open(system(), gpu, System::nanoTime);
    }

    /** How many GPUs the system's NVML sees. */
    public static int deviceCount() throws IOException {
        return deviceCount(system());
    }

    public static int deviceCount(Nvml nvml) throws IOException {
        check(nvml, nvml.nvmlInit_v2(), "nvmlInit_v2");
        try {
            IntByReference count = new IntByReference();
            check(nvml, nvml.nvmlDeviceGetCount_v2(count), "nvmlDeviceGetCount_v2");
            return count.getValue();
        } finally {
            nvml.nvmlShutdown();
        }
    }

    private static Nvml system() throws IOException {
        try {
            return Native.load("nvidia-ml", NvmlLibrary.class);
        } catch (UnsatisfiedLinkError e) {
            throw new IOException("NVML is not available: libnvidia-ml cannot be loaded (no NVIDIA driver here)", e);
        }
    }

    /** NVML's board {@code index}, for sampling: the update period is not measured. */
    public static NvmlCounter open(Nvml nvml, int index) throws IOException {
        check(nvml, nvml.nvmlInit_v2(), "nvmlInit_v2");
        try {
            PointerByReference handle = new PointerByReference();
            check(nvml, nvml.nvmlDeviceGetHandleByIndex_v2(index, handle), "nvmlDeviceGetHandleByIndex_v2(" + index + ")");
            return opened(nvml, handle.getValue(), index, null, null);
        } catch (IOException | RuntimeException e) {
            nvml.nvmlShutdown();
            throw e;
        }
    }

    /**
     * The board behind {@code gpu} ({@link GpuDevice}: by UUID, or by NVML index where the order is known), then its
     * update period read in a tight loop timed by {@code monotonicNanos} (at most {@link #PERIOD_WAIT_NANOS}).
     */
    public static NvmlCounter open(Nvml nvml, GpuDevice gpu, LongSupplier monotonicNanos) throws IOException {
        if (gpu.target() instanceof GpuDevice.Refused refused) {
            throw new IOException(refused.reason());
        }
        check(nvml, nvml.nvmlInit_v2(), "nvmlInit_v2");
        try {
            Pointer handle = handle(nvml, gpu);
            UpdatePeriod period = updatePeriod(nvml, handle, monotonicNanos, PERIOD_WAIT_NANOS);
            int fallbackIndex = gpu.target() instanceof GpuDevice.ByIndex byIndex ? byIndex.nvmlIndex() : -1;
            return opened(nvml, handle, fallbackIndex, gpu.mapping(), period);
        } catch (IOException | RuntimeException e) {
            nvml.nvmlShutdown();
            throw e;
        }
    }

    /** Names the board and reads the counter's starting value. */
    private static NvmlCounter opened(Nvml nvml, Pointer handle, int fallbackIndex, String mapping,
            UpdatePeriod period) throws IOException {
        IntByReference indexRef = new IntByReference();
        int index = nvml.nvmlDeviceGetIndex(handle, indexRef) == NVML_SUCCESS ? indexRef.getValue() : fallbackIndex;
        byte[] nameBytes = new byte[96];
        String name = nvml.nvmlDeviceGetName(handle, nameBytes, nameBytes.length) == NVML_SUCCESS
                ? cString(nameBytes) : "GPU " + index;
        LongByReference energy = new LongByReference();
        check(nvml, nvml.nvmlDeviceGetTotalEnergyConsumption(handle, energy),
                "nvmlDeviceGetTotalEnergyConsumption (needs a Volta or newer GPU)");
        return new NvmlCounter(nvml, handle, new GpuDevice.Board(index, uuid(nvml, handle), name), mapping,
                energy.getValue(), period);
    }

    /** The board's UUID, or null when NVML does not say. */
    private static String uuid(Nvml nvml, Pointer handle) {
        byte[] bytes = new byte[UUID_BUFFER];
        return nvml.nvmlDeviceGetUUID(handle, bytes, bytes.length) == NVML_SUCCESS ? cString(bytes) : null;
    }

    /** NVML's handle of the board behind {@code gpu}, or one line saying why there is none. */
    private static Pointer handle(Nvml nvml, GpuDevice gpu) throws IOException {
        IntByReference countRef = new IntByReference();
        check(nvml, nvml.nvmlDeviceGetCount_v2(countRef), "nvmlDeviceGetCount_v2");
        int count = countRef.getValue();
        PointerByReference handle = new PointerByReference();
        if (gpu.target() instanceof GpuDevice.ByUuid byUuid) {
            String wanted = byUuid.uuid();
            if (nvml.nvmlDeviceGetHandleByUUID(wanted, handle) == NVML_SUCCESS) {
                return handle.getValue();
            }
            // CUDA also accepts a unique prefix of a UUID: look for it among NVML's boards
            List<Pointer> matches = new ArrayList<>();
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                if (nvml.nvmlDeviceGetHandleByIndex_v2(i, handle) != NVML_SUCCESS) {
                    continue;
                }
                String uuid = uuid(nvml, handle.getValue());
                seen.add(String.valueOf(uuid));
                if (uuid != null && GpuDevice.normalisedUuid(uuid).startsWith(GpuDevice.normalisedUuid(wanted))) {
                    matches.add(handle.getValue());
                }
            }
            if (matches.size() == 1) {
                return matches.get(0);
            }
            throw new IOException(gpu.mapping() + ": " + (matches.isEmpty() ? "none" : matches.size())
                    + " of NVML's " + count + " GPU(s) " + (matches.isEmpty() ? "has" : "have") + " that UUID "
                    + seen);
        }
        GpuDevice.ByIndex byIndex = (GpuDevice.ByIndex) gpu.target();
        if (byIndex.unlessSingle() != null && count > 1) {
            throw new IOException(byIndex.unlessSingle() + " (NVML sees " + count + " GPUs)");
        }
        if (byIndex.nvmlIndex() >= count) {
            throw new IOException(gpu.mapping() + ": NVML sees " + count + " GPU(s), no index " + byIndex.nvmlIndex());
        }
        check(nvml, nvml.nvmlDeviceGetHandleByIndex_v2(byIndex.nvmlIndex(), handle),
                "nvmlDeviceGetHandleByIndex_v2(" + byIndex.nvmlIndex() + ")");
        return handle.getValue();
    }

    /**
     * Reads the counter in a tight loop until it has changed {@link #PERIOD_CHANGES} times or {@code waitNanos}
     * passed: the median of the intervals between changes (the stretch before the first change is partial and not
     * counted). With a fake counter that steps on a fake clock the result is exact.
     */
    static UpdatePeriod updatePeriod(Nvml nvml, Pointer device, LongSupplier monotonicNanos, long waitNanos)
            throws IOException {
        LongByReference energy = new LongByReference();
        check(nvml, nvml.nvmlDeviceGetTotalEnergyConsumption(device, energy), "nvmlDeviceGetTotalEnergyConsumption");
        long last = energy.getValue();
        long start = monotonicNanos.getAsLong();
        List<Long> changedAt = new ArrayList<>();
        while (changedAt.size() < PERIOD_CHANGES) {
            long now = monotonicNanos.getAsLong();
            check(nvml, nvml.nvmlDeviceGetTotalEnergyConsumption(device, energy), "nvmlDeviceGetTotalEnergyConsumption");
            if (energy.getValue() != last) {
                last = energy.getValue();
                changedAt.add(now);
            }
            if (now - start >= waitNanos) {
                break;
            }
        }
        if (changedAt.size() < 2) {
            return new UpdatePeriod(waitNanos / 1e9, 0, true);
        }
        double[] intervals = new double[changedAt.size() - 1];
        for (int i = 0; i < intervals.length; i++) {
            intervals[i] = (changedAt.get(i + 1) - changedAt.get(i)) / 1e9;
        }
        Arrays.sort(intervals);
        int n = intervals.length;
        double median = n % 2 == 1 ? intervals[n / 2] : (intervals[n / 2 - 1] + intervals[n / 2]) / 2;
        return new UpdatePeriod(median, n, false);
    }

    private static void check(Nvml nvml, int result, String call) throws IOException {
        if (result != NVML_SUCCESS) {
            String reason;
            try {
                reason = nvml.nvmlErrorString(result);
            } catch (RuntimeException e) {
                reason = "error " + result;
            }
            throw new IOException("NVML " + call + " failed: " + reason + " (code " + result + ")");
        }
    }

    private static String cString(byte[] bytes) {
        int end = 0;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8).replaceAll("\\p{Cntrl}", "?");
    }

    @Override
    public synchronized double joules() throws IOException {
        if (closed) {
            throw new IllegalStateException("the NVML counter of " + board.meterName() + " is closed");
        }
        LongByReference energy = new LongByReference();
        check(nvml, nvml.nvmlDeviceGetTotalEnergyConsumption(device, energy), "nvmlDeviceGetTotalEnergyConsumption");
        return (energy.getValue() - startMilliJoules) / 1e3;
    }

    @Override
    public String source() {
        return "nvml";
    }

    /** "gpu2 (GPU-8f1c…)": NVML's index (as the energy meter names its samples) and the board's UUID. */
    @Override
    public String device() {
        return board.meterName();
    }

    /** NVML's index, UUID and name of the board. */
    public GpuDevice.Board board() {
        return board;
    }

    /** The update period measured at open, or null when opened by NVML index (for sampling). */
    public UpdatePeriod updatePeriod() {
        return period;
    }

    @Override
    public double updatePeriodSeconds() {
        return period == null ? 0 : period.seconds();
    }

    @Override
    public String basis() {
        return "NVML nvmlDeviceGetTotalEnergyConsumption of " + board.meterName() + " (" + board.name()
                + (mapping == null ? "" : "; " + mapping) + "; the whole board, read at the window's edges"
                + (period == null ? "" : "; " + period.describe()) + ")";
    }

    @Override
    public Scope scope() {
        return Scope.DEVICE;
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            nvml.nvmlShutdown();
        }
    }
}
