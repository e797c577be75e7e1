package dev.prunelab.measure;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The GPU a process works on, chosen once: the CUDA device ordinal ONNX Runtime is given, and how NVML finds the
 * same board for the energy meter. The two number boards differently: NVML ignores {@code CUDA_VISIBLE_DEVICES} and
 * counts every board in PCI bus order; CUDA counts only the boards that variable lists, in its order, and without
 * it every board in {@code CUDA_DEVICE_ORDER} (default FASTEST_FIRST, which need not be PCI bus order).
 *
 * <pre>
 *   CUDA_VISIBLE_DEVICES set:   ordinal i is its entry i (CUDA stops at the first entry it cannot read)
 *       GPU-&lt;uuid&gt; (or a unique prefix)  → the board with that UUID (nvmlDeviceGetHandleByUUID)
 *       an integer k                      → NVML index k under CUDA_DEVICE_ORDER=PCI_BUS_ID; in CUDA's default
 *                                           order only when NVML sees one GPU, else refused
 *       MIG-…                             → refused: a MIG instance has no energy counter of its own
 *       no entry i                        → refused: the ordinal is hidden
 *   unset:                      ordinal i → NVML index i, under PCI_BUS_ID or when NVML sees one GPU, else refused
 * </pre>
 *
 * A refusal concerns the meter alone: the session still runs on ordinal i; its energy is then not measured.
 *
 * @param cudaOrdinal the CUDA device ordinal (ONNX Runtime's {@code device_id}), 0 or more
 * @param target      how NVML finds the board
 * @param mapping     one line: how the ordinal was mapped, for the report
 */
public record GpuDevice(int cudaOrdinal, Target target, String mapping) {

    public static final String VISIBLE_DEVICES = "CUDA_VISIBLE_DEVICES";
    public static final String DEVICE_ORDER = "CUDA_DEVICE_ORDER";
    public static final String PCI_BUS_ID = "PCI_BUS_ID";

    private static final Pattern INTEGER = Pattern.compile("\\d{1,9}");
    private static final Pattern GPU_UUID = Pattern.compile("GPU-[0-9a-fA-F-]+");

    /** How NVML finds the board behind a CUDA ordinal. */
    public sealed interface Target permits ByUuid, ByIndex, Refused {
    }

    /** The board whose NVML UUID is {@code uuid} or starts with it (CUDA accepts a unique prefix). */
    public record ByUuid(String uuid) implements Target {
    }

    /**
     * NVML's board {@code nvmlIndex}.
     *
     * @param unlessSingle null when the order is known to be NVML's (PCI bus order); else the one-line refusal that
     *                     applies when NVML sees more than one GPU
     */
    public record ByIndex(int nvmlIndex, String unlessSingle) implements Target {
    }

    /** No board can be named for the meter; {@code reason} is one line. */
    public record Refused(String reason) implements Target {
    }

    /** The board NVML found: what the meter and the report name. */
    public record Board(int nvmlIndex, String uuid, String name) {
        /** "gpu2 (GPU-8f1c…)": NVML's index, as the energy meter names its samples, and the board's UUID. */
        public String meterName() {
            return "gpu" + nvmlIndex + (uuid == null ? "" : " (" + uuid + ")");
        }
    }

    public GpuDevice {
        if (cudaOrdinal < 0) {
            throw new IllegalArgumentException("CUDA device " + cudaOrdinal + " must be 0 or more");
        }
        if (target == null || mapping == null) {
            throw new IllegalArgumentException("a GPU device needs its NVML target and mapping");
        }
    }

    /** Ordinal {@code cudaOrdinal} under this process's environment. */
    public static GpuDevice of(int cudaOrdinal) {
        return of(cudaOrdinal, System.getenv());
    }

    /**
     * Ordinal {@code cudaOrdinal} under {@code environment} ({@value #VISIBLE_DEVICES}, {@value #DEVICE_ORDER}).
     *
     * @throws IllegalArgumentException for a negative ordinal
     */
    public static GpuDevice of(int cudaOrdinal, Map<String, String> environment) {
        if (cudaOrdinal < 0) {
            throw new IllegalArgumentException("CUDA device " + cudaOrdinal + " must be 0 or more");
        }
        String order = environment.get(DEVICE_ORDER);
        boolean pciOrder = order != null && PCI_BUS_ID.equalsIgnoreCase(order.trim());
        String visible = environment.get(VISIBLE_DEVICES);
        String device = "CUDA device " + cudaOrdinal;
        if (visible == null) {
            if (pciOrder) {
                return new GpuDevice(cudaOrdinal, new ByIndex(cudaOrdinal, null),
                        device + " = NVML index " + cudaOrdinal + " (" + DEVICE_ORDER + "=" + PCI_BUS_ID + ")");
            }
            return new GpuDevice(cudaOrdinal, new ByIndex(cudaOrdinal, device + " is counted in CUDA's default "
                    + "FASTEST_FIRST order, which need not be NVML's PCI bus order: set " + DEVICE_ORDER + "="
                    + PCI_BUS_ID + " or " + VISIBLE_DEVICES + "=GPU-<uuid> (nvidia-smi -L)"),
                    device + " = NVML index " + cudaOrdinal + " (no " + VISIBLE_DEVICES + "; one GPU, or refused)");
        }
        List<String> entries = new ArrayList<>();
        String unread = null;
        for (String raw : visible.split(",", -1)) {
            String entry = raw.trim();
            if (entry.isEmpty() && visible.isBlank()) {
                break;   // "" hides every GPU
            }
            if (!INTEGER.matcher(entry).matches() && !GPU_UUID.matcher(entry).matches() && !entry.startsWith("MIG-")) {
                unread = entry;   // CUDA ignores this entry and every one after it
                break;
            }
            entries.add(entry);
        }
        String shown = VISIBLE_DEVICES + "=" + quoted(visible);
        if (cudaOrdinal >= entries.size()) {
            return refused(cudaOrdinal, device + " is not visible: " + shown + " makes " + entries.size()
                    + " GPU(s) visible" + (unread == null ? "" : " (CUDA ignores " + quoted(unread) + " and what follows)"));
        }
        String entry = entries.get(cudaOrdinal);
        String from = device + " = " + VISIBLE_DEVICES + " entry " + cudaOrdinal + " " + quoted(entry);
        if (entry.startsWith("MIG-")) {
            return refused(cudaOrdinal, from + " is a MIG instance: NVML's energy counter is the whole GPU's, shared "
                    + "with its other instances, so no energy is charged to this one");
        }
        if (entry.startsWith("GPU-")) {
            return new GpuDevice(cudaOrdinal, new ByUuid(entry), from + " (NVML by UUID)");
        }
        int index = Integer.parseInt(entry);
        if (pciOrder) {
            return new GpuDevice(cudaOrdinal, new ByIndex(index, null),
                    from + " = NVML index " + index + " (" + DEVICE_ORDER + "=" + PCI_BUS_ID + ")");
        }
        return new GpuDevice(cudaOrdinal, new ByIndex(index, from + " counts GPUs in CUDA's default FASTEST_FIRST "
                + "order, which need not be NVML's PCI bus order: set " + DEVICE_ORDER + "=" + PCI_BUS_ID
                + " or list the GPUs by UUID (" + VISIBLE_DEVICES + "=GPU-<uuid>, see nvidia-smi -L)"),
                from + " = NVML index " + index + " (CUDA's default order; one GPU, or refused)");
    }

    private static GpuDevice refused(int cudaOrdinal, String reason) {
        return new GpuDevice(cudaOrdinal, new Refused(reason), reason);
    }

    /** The board's UUID as the environment names it (possibly a prefix), or null. */
    public String visibleUuid() {
        return target instanceof ByUuid byUuid ? byUuid.uuid() : null;
    }

    /** A value quoted and cut to 80 characters for a one-line message. */
    private static String quoted(String value) {
        String shown = value.length() > 80 ? value.substring(0, 80) + "..." : value;
        return "'" + shown.replaceAll("\\p{Cntrl}", "?") + "'";
    }

    /** Lower-case hex and dashes: how NVML writes a UUID. */
    static String normalisedUuid(String uuid) {
        return uuid.toLowerCase(Locale.ROOT).replaceFirst("^gpu-", "GPU-");
    }
}
