package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * One CUDA ordinal mapped to the NVML board the meter reads, under the environments a host can have, against a fake
 * NVML of three boards in PCI bus order (UUID_0, UUID_1, UUID_2); and the counter's update period read at open.
 */
class GpuDeviceTest {

    private static final Map<String, String> PCI_ORDER = Map.of("CUDA_DEVICE_ORDER", "PCI_BUS_ID");

    private static FakeNvml threeBoards() {
        return new FakeNvml(FakeNvml.UUID_0, FakeNvml.UUID_1, FakeNvml.UUID_2);
    }

    /** A clock that moves 1 ms at every read. */
    private static LongSupplier millisecondPerRead(AtomicLong now) {
        return () -> now.addAndGet(1_000_000);
    }

    /** The board the meter opens for ordinal {@code ordinal} under {@code environment}, NVML shut down after. */
    private static GpuDevice.Board board(FakeNvml nvml, int ordinal, Map<String, String> environment)
            throws IOException {
        try (NvmlCounter counter = NvmlCounter.open(nvml, GpuDevice.of(ordinal, environment),
                millisecondPerRead(new AtomicLong()))) {
            return counter.board();
        } finally {
            assertEquals(0, nvml.initialized, "NVML is shut down whatever happened");
        }
    }

    private static Map<String, String> visible(String devices, boolean pciOrder) {
        return pciOrder ? Map.of("CUDA_VISIBLE_DEVICES", devices, "CUDA_DEVICE_ORDER", "PCI_BUS_ID")
                : Map.of("CUDA_VISIBLE_DEVICES", devices);
    }

    @Test
    void withoutTheVariableTheOrdinalIsNvmlsIndexInPciOrderOrOnOneGpu() throws IOException {
        assertEquals(new GpuDevice.Board(2, FakeNvml.UUID_2, "NVIDIA H200"), board(threeBoards(), 2, PCI_ORDER));
        assertEquals("gpu2 (" + FakeNvml.UUID_2 + ")", board(threeBoards(), 2, PCI_ORDER).meterName());
        // one GPU: whatever CUDA's order, its device 0 is NVML's board 0
        assertEquals(0, board(new FakeNvml(FakeNvml.UUID_1), 0, Map.of()).nvmlIndex());

        // several GPUs in CUDA's default FASTEST_FIRST order: refused, saying what to set
        IOException e = assertThrows(IOException.class, () -> board(threeBoards(), 1, Map.of()));
        assertEquals("CUDA device 1 is counted in CUDA's default FASTEST_FIRST order, which need not be NVML's PCI "
                + "bus order: set CUDA_DEVICE_ORDER=PCI_BUS_ID or CUDA_VISIBLE_DEVICES=GPU-<uuid> (nvidia-smi -L) "
                + "(NVML sees 3 GPUs)", e.getMessage());
    }

    @Test
    void integerEntriesAreNvmlIndicesUnderPciBusOrderOnly() throws IOException {
        // CUDA device 0 is entry 0 = PCI board 2, device 1 is entry 1 = PCI board 0
        assertEquals(2, board(threeBoards(), 0, visible("2,0", true)).nvmlIndex());
        assertEquals(0, board(threeBoards(), 1, visible(" 2, 0 ", true)).nvmlIndex());
        GpuDevice device = GpuDevice.of(0, visible("2,0", true));
        assertEquals(new GpuDevice.ByIndex(2, null), device.target());
        assertEquals("CUDA device 0 = CUDA_VISIBLE_DEVICES entry 0 '2' = NVML index 2 (CUDA_DEVICE_ORDER=PCI_BUS_ID)",
                device.mapping());

        IOException fastestFirst = assertThrows(IOException.class, () -> board(threeBoards(), 0, visible("2,0", false)));
        assertTrue(fastestFirst.getMessage().contains("set CUDA_DEVICE_ORDER=PCI_BUS_ID or list the GPUs by UUID"),
                fastestFirst.getMessage());
        assertTrue(fastestFirst.getMessage().endsWith("(NVML sees 3 GPUs)"), fastestFirst.getMessage());
        // one GPU: an integer entry is unambiguous in any order
        assertEquals(0, board(new FakeNvml(), 0, visible("0", false)).nvmlIndex());

        IOException absent = assertThrows(IOException.class, () -> board(threeBoards(), 0, visible("7", true)));
        assertEquals("CUDA device 0 = CUDA_VISIBLE_DEVICES entry 0 '7' = NVML index 7 (CUDA_DEVICE_ORDER=PCI_BUS_ID): "
                + "NVML sees 3 GPU(s), no index 7", absent.getMessage());
    }

    @Test
    void uuidEntriesAreFoundByUuidWhateverTheOrder() throws IOException {
        FakeNvml nvml = threeBoards();
        String devices = FakeNvml.UUID_2 + "," + FakeNvml.UUID_0;
        assertEquals(new GpuDevice.Board(2, FakeNvml.UUID_2, "NVIDIA H200"), board(nvml, 0, visible(devices, false)));
        assertEquals(0, board(nvml, 1, visible(devices, false)).nvmlIndex());
        assertEquals(List.of(FakeNvml.UUID_2, FakeNvml.UUID_0), nvml.uuidLookups, "nvmlDeviceGetHandleByUUID asked");
        assertEquals(FakeNvml.UUID_2, GpuDevice.of(0, visible(devices, false)).visibleUuid());

        // CUDA accepts a unique prefix; NVML's lookup does not, so the boards are searched
        assertEquals(1, board(threeBoards(), 0, visible("GPU-1B1B", false)).nvmlIndex());
        IOException unknown = assertThrows(IOException.class,
                () -> board(threeBoards(), 0, visible("GPU-9999", false)));
        assertEquals("CUDA device 0 = CUDA_VISIBLE_DEVICES entry 0 'GPU-9999' (NVML by UUID): none of NVML's 3 GPU(s) "
                + "has that UUID [" + FakeNvml.UUID_0 + ", " + FakeNvml.UUID_1 + ", " + FakeNvml.UUID_2 + "]",
                unknown.getMessage());
        String a = "GPU-abcd0000-1111-2222-3333-444444444444";
        String b = "GPU-abcd1111-1111-2222-3333-444444444444";
        IOException ambiguous = assertThrows(IOException.class,
                () -> board(new FakeNvml(a, b), 0, visible("GPU-abcd", false)));
        assertTrue(ambiguous.getMessage().endsWith(": 2 of NVML's 2 GPU(s) have that UUID [" + a + ", " + b + "]"),
                ambiguous.getMessage());
    }

    @Test
    void aHiddenOrdinalIsRefusedInOneLineAndNvmlIsNeverAsked() {
        GpuDevice hidden = GpuDevice.of(2, visible("0,1", true));
        assertInstanceOf(GpuDevice.Refused.class, hidden.target());
        String reason = "CUDA device 2 is not visible: CUDA_VISIBLE_DEVICES='0,1' makes 2 GPU(s) visible";
        assertEquals(new GpuDevice.Refused(reason), hidden.target());
        FakeNvml nvml = threeBoards();
        IOException e = assertThrows(IOException.class,
                () -> NvmlCounter.open(nvml, hidden, millisecondPerRead(new AtomicLong())));
        assertEquals(reason, e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
        assertEquals(0, nvml.initialized);

        assertEquals(new GpuDevice.Refused("CUDA device 0 is not visible: CUDA_VISIBLE_DEVICES='' makes 0 GPU(s) "
                + "visible"), GpuDevice.of(0, visible("", false)).target());
        // CUDA stops reading at the first entry it cannot read
        assertEquals(new GpuDevice.Refused("CUDA device 1 is not visible: CUDA_VISIBLE_DEVICES='0,gpu0,1' makes 1 "
                + "GPU(s) visible (CUDA ignores 'gpu0' and what follows)"), GpuDevice.of(1, visible("0,gpu0,1", true)).target());
        assertThrows(IllegalArgumentException.class, () -> GpuDevice.of(-1, Map.of()));
    }

    @Test
    void aMigInstanceIsRefusedForTheMeter() {
        String mig = "MIG-5c1d7c4e-6d1a-5b2c-8f3e-0a1b2c3d4e5f";
        GpuDevice device = GpuDevice.of(0, visible(mig, true));
        GpuDevice.Refused refused = assertInstanceOf(GpuDevice.Refused.class, device.target());
        assertEquals("CUDA device 0 = CUDA_VISIBLE_DEVICES entry 0 '" + mig + "' is a MIG instance: NVML's energy "
                + "counter is the whole GPU's, shared with its other instances, so no energy is charged to this one",
                refused.reason());
        assertNull(device.visibleUuid());
        // the entries after a MIG one still count: device 1 is the GPU listed next
        assertEquals(new GpuDevice.ByUuid(FakeNvml.UUID_1),
                GpuDevice.of(1, visible(mig + "," + FakeNvml.UUID_1, false)).target());
    }

    @Test
    void theUpdatePeriodIsTheMedianIntervalBetweenChangesOfTheCounter() throws IOException {
        AtomicLong now = new AtomicLong();
        // the counter steps every 50 ms of the clock by 100 W x 50 ms; each read of the clock moves it 1 ms
        FakeNvml nvml = new FakeNvml().steppingEvery(50_000_000L, 100, now::get);
        try (NvmlCounter counter = NvmlCounter.open(nvml, GpuDevice.of(0, Map.of()), millisecondPerRead(now))) {
            assertEquals(new NvmlCounter.UpdatePeriod(0.050, NvmlCounter.PERIOD_CHANGES - 1, false),
                    counter.updatePeriod());
            assertEquals(0.050, counter.updatePeriodSeconds(), 1e-15);
            assertTrue(counter.basis().endsWith("; the counter updates every 50.0 ms (median of 5 intervals read at "
                    + "open))"), counter.basis());
            assertTrue(counter.basis().contains("CUDA device 0 = NVML index 0"), counter.basis());
            // six changes, the first at 50 ms: the measurement stopped at the sixth, 300 ms in
            assertEquals(300_000_000L, now.get());
            now.addAndGet(1_000_000_000L);   // one second on: twenty steps of 5 J
            assertEquals(100.0, counter.joules(), 1e-9);
        }
        assertEquals(0, nvml.initialized);
    }

    @Test
    void aCounterThatNeverChangesWithinTheWaitGivesTheWaitAsALowerBound() throws IOException {
        AtomicLong now = new AtomicLong();
        FakeNvml nvml = new FakeNvml();
        try (NvmlCounter counter = NvmlCounter.open(nvml, GpuDevice.of(0, Map.of()), millisecondPerRead(now))) {
            assertEquals(new NvmlCounter.UpdatePeriod(NvmlCounter.PERIOD_WAIT_NANOS / 1e9, 0, true),
                    counter.updatePeriod());
            assertTrue(counter.basis().contains("the counter changed fewer than twice in 500 ms: its update period is "
                    + "taken as 500 ms"), counter.basis());
            assertEquals(NvmlCounter.PERIOD_WAIT_NANOS + 1_000_000, now.get(),
                    "the wait is capped: 500 ms after the loop's first read of the clock");
        }
    }
}
