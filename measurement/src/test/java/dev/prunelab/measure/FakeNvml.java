package dev.prunelab.measure;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * NVML's calls as a driver answers them, without a GPU: boards in NVML (PCI bus) order with their UUIDs, and an
 * energy counter that is either set by the test or steps every {@code stepNanos} of a clock the test moves. Public,
 * in measurement's test jar, for other modules' tests of the GPU path.
 */
public final class FakeNvml implements NvmlCounter.Nvml {
    public static final String UUID_0 = "GPU-0a0a0a0a-1111-2222-3333-444444444444";
    public static final String UUID_1 = "GPU-1b1b1b1b-1111-2222-3333-444444444444";
    public static final String UUID_2 = "GPU-2c2c2c2c-1111-2222-3333-444444444444";

    private static final long HANDLE_BASE = 4096;

    final List<String> uuids;
    public long milliJoules = 1_000_000;
    int energyResult = 0;
    public int initialized;
    final List<String> uuidLookups = new ArrayList<>();
    private LongSupplier clockNanos;
    private long stepNanos;
    private double watts;

    /** One board, UUID_0: an NVIDIA H200. */
    public FakeNvml() {
        this(UUID_0);
    }

    /** Boards in NVML's order with these UUIDs, each an NVIDIA H200. */
    public FakeNvml(String... uuids) {
        this.uuids = List.of(uuids);
    }

    /**
     * The counter steps every {@code stepNanos} of {@code clockNanos} (read, never moved, here) by what {@code watts}
     * draw over a step: the driver's refresh, exactly.
     */
    public FakeNvml steppingEvery(long stepNanos, double watts, LongSupplier clockNanos) {
        this.stepNanos = stepNanos;
        this.watts = watts;
        this.clockNanos = clockNanos;
        return this;
    }

    private int board(Pointer device) {
        return (int) (Pointer.nativeValue(device) - HANDLE_BASE);
    }

    @Override
    public int nvmlInit_v2() {
        initialized++;
        return 0;
    }

    @Override
    public int nvmlShutdown() {
        initialized--;
        return 0;
    }

    @Override
    public int nvmlDeviceGetCount_v2(IntByReference count) {
        count.setValue(uuids.size());
        return 0;
    }

    @Override
    public int nvmlDeviceGetHandleByIndex_v2(int index, PointerByReference device) {
        if (index < 0 || index >= uuids.size()) {
            return 2; // NVML_ERROR_INVALID_ARGUMENT
        }
        device.setValue(new Pointer(HANDLE_BASE + index));
        return 0;
    }

    @Override
    public int nvmlDeviceGetHandleByUUID(String uuid, PointerByReference device) {
        uuidLookups.add(uuid);
        int index = uuids.indexOf(uuid);
        if (index < 0) {
            return 6; // NVML_ERROR_NOT_FOUND
        }
        device.setValue(new Pointer(HANDLE_BASE + index));
        return 0;
    }

    @Override
    public int nvmlDeviceGetIndex(Pointer device, IntByReference index) {
        index.setValue(board(device));
        return 0;
    }

    @Override
    public int nvmlDeviceGetUUID(Pointer device, byte[] uuid, int length) {
        byte[] text = uuids.get(board(device)).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, uuid, 0, text.length);
        return 0;
    }

    @Override
    public int nvmlDeviceGetTotalEnergyConsumption(Pointer device, LongByReference energy) {
        if (clockNanos != null) {
            long steps = Math.floorDiv(clockNanos.getAsLong(), stepNanos);
            energy.setValue(milliJoules + Math.round(steps * (stepNanos / 1e9) * watts * 1e3));
        } else {
            energy.setValue(milliJoules);
        }
        return energyResult;
    }

    @Override
    public int nvmlDeviceGetName(Pointer device, byte[] name, int length) {
        byte[] text = "NVIDIA H200".getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(text, 0, name, 0, text.length);
        return 0;
    }

    @Override
    public String nvmlErrorString(int result) {
        return switch (result) {
            case 3 -> "Not Supported";
            case 6 -> "Not Found";
            default -> "Invalid Argument";
        };
    }
}
