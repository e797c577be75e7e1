package dev.prunelab.measure;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * A GPU's total-energy counter through NVML's C API ({@code nvmlDeviceGetTotalEnergyConsumption}: millijoules
 * since the driver was loaded; Volta and newer), called in-process through JNA: no nvidia-smi process per read.
 * The counter covers the whole board, so it belongs inside an exclusive window.
 */
public final class NvmlCounter implements EnergyCounter {

    /** The few NVML calls used, as JNA binds them; tests substitute their own. */
    public interface Nvml {
        int nvmlInit_v2();

        int nvmlShutdown();

        int nvmlDeviceGetCount_v2(com.sun.jna.ptr.IntByReference count);

        int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device);

        int nvmlDeviceGetTotalEnergyConsumption(Pointer device, LongByReference energyMilliJoules);

        int nvmlDeviceGetName(Pointer device, byte[] name, int length);

        String nvmlErrorString(int result);
    }

    /** JNA's binding of libnvidia-ml. */
    interface NvmlLibrary extends Nvml, Library {
    }

    private static final int NVML_SUCCESS = 0;

    private final Nvml nvml;
    private final Pointer device;
    private final int index;
    private final String name;
    private final long startMilliJoules;
    private boolean closed;

    private NvmlCounter(Nvml nvml, Pointer device, int index, String name, long startMilliJoules) {
        this.nvml = nvml;
        this.device = device;
        this.index = index;
        this.name = name;
        this.startMilliJoules = startMilliJoules;
    }

    /** GPU {@code index} through the system's libnvidia-ml; fails with one line when NVML or the GPU is missing. */
    public static NvmlCounter open(int index) throws IOException {
        return open(system(), index);
    }

    /** How many GPUs the system's NVML sees. */
    public static int deviceCount() throws IOException {
        return deviceCount(system());
    }

    public static int deviceCount(Nvml nvml) throws IOException {
        check(nvml, nvml.nvmlInit_v2(), "nvmlInit_v2");
        try {
            com.sun.jna.ptr.IntByReference count = new com.sun.jna.ptr.IntByReference();
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

    public static NvmlCounter open(Nvml nvml, int index) throws IOException {
        check(nvml, nvml.nvmlInit_v2(), "nvmlInit_v2");
        try {
            PointerByReference handle = new PointerByReference();
            check(nvml, nvml.nvmlDeviceGetHandleByIndex_v2(index, handle), "nvmlDeviceGetHandleByIndex_v2(" + index + ")");
            byte[] nameBytes = new byte[96];
            String name = nvml.nvmlDeviceGetName(handle.getValue(), nameBytes, nameBytes.length) == NVML_SUCCESS
                    ? cString(nameBytes) : "GPU " + index;
            LongByReference energy = new LongByReference();
            check(nvml, nvml.nvmlDeviceGetTotalEnergyConsumption(handle.getValue(), energy),
                    "nvmlDeviceGetTotalEnergyConsumption (needs a Volta or newer GPU)");
            return new NvmlCounter(nvml, handle.getValue(), index, name, energy.getValue());
        } catch (IOException | RuntimeException e) {
            nvml.nvmlShutdown();
            throw e;
        }
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
            throw new IllegalStateException("the NVML counter of GPU " + index + " is closed");
        }
        LongByReference energy = new LongByReference();
        check(nvml, nvml.nvmlDeviceGetTotalEnergyConsumption(device, energy), "nvmlDeviceGetTotalEnergyConsumption");
        return (energy.getValue() - startMilliJoules) / 1e3;
    }

    @Override
    public String source() {
        return "nvml";
    }

    @Override
    public String device() {
        return "gpu" + index;
    }

    @Override
    public String basis() {
        return "NVML nvmlDeviceGetTotalEnergyConsumption of GPU " + index + " (" + name
                + "; the whole board, read at the window's edges)";
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
