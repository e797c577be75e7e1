package dev.prunelab.pruning.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.management.VMOption;
import dev.prunelab.pruning.memory.HeapRelease.Setting;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeapReleaseTest {

    private static VMOption option(String name, int percent, VMOption.Origin origin) {
        return new VMOption(name, Integer.toString(percent), true, origin);
    }

    @Test
    void theDefaultsAreLoweredMinimumFirst() {
        assertEquals(List.of(new Setting("MinHeapFreeRatio", 10), new Setting("MaxHeapFreeRatio", 30)),
                HeapRelease.settings(option("MinHeapFreeRatio", 40, VMOption.Origin.DEFAULT),
                        option("MaxHeapFreeRatio", 70, VMOption.Origin.DEFAULT)));
    }

    @Test
    void aMaximumChosenAtStartIsKept() {
        assertEquals(List.of(), HeapRelease.settings(option("MinHeapFreeRatio", 40, VMOption.Origin.DEFAULT),
                option("MaxHeapFreeRatio", 50, VMOption.Origin.VM_CREATION)));
    }

    @Test
    void aMinimumChosenAtStartIsKeptAndTheMaximumNotSetBelowIt() {
        assertEquals(List.of(new Setting("MaxHeapFreeRatio", 45)),
                HeapRelease.settings(option("MinHeapFreeRatio", 45, VMOption.Origin.VM_CREATION),
                        option("MaxHeapFreeRatio", 70, VMOption.Origin.DEFAULT)));
        assertEquals(List.of(new Setting("MaxHeapFreeRatio", 30)),
                HeapRelease.settings(option("MinHeapFreeRatio", 20, VMOption.Origin.ENVIRON_VAR),
                        option("MaxHeapFreeRatio", 70, VMOption.Origin.DEFAULT)));
    }
}
