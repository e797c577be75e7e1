package dev.prunelab.pruning.memory;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * A full collection that gives the heap's free pages back to the machine, for the points of a large prune where a
 * block's garbage (its weights read onto the heap, the pruning math's H) is about to be replaced by native memory
 * (ONNX Runtime's copy of the next block). The JVM shrinks the heap after a full collection only while more than
 * MaxHeapFreeRatio percent of it is free, 70 by default: a heap with 0.5 GB live in 1.5 GB committed (67% free)
 * keeps all of it, and those pages stay resident beside ONNX Runtime's. Before its first collection this lowers
 * the ratios to {@value #MAX_FREE_PERCENT}% and {@value #MIN_FREE_PERCENT}% (the heap is then kept at most about 1.4
 * times its live data), unless the process was started with its own values, which are kept. The options are
 * "manageable" in HotSpot; a JVM without them still gets the collection.
 */
public final class HeapRelease {
    static final int MAX_FREE_PERCENT = 30;
    static final int MIN_FREE_PERCENT = 10;
    private static final String MAX = "MaxHeapFreeRatio";
    private static final String MIN = "MinHeapFreeRatio";
    private static boolean configured;

    private HeapRelease() {
    }

    /** Lowers the free ratios once (see the class comment), then collects. */
    public static void collect() {
        configureOnce();
        System.gc();
    }

    private static synchronized void configureOnce() {
        if (configured) {
            return;
        }
        configured = true;
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            for (Setting setting : settings(vm.getVMOption(MIN), vm.getVMOption(MAX))) {
                vm.setVMOption(setting.option(), Integer.toString(setting.percent()));
            }
        } catch (RuntimeException notHotSpot) {
            // IllegalArgumentException (no such option) or a JVM without the bean: its default sizing stands
        }
    }

    /** One option to set, in the order the settings are made. */
    record Setting(String option, int percent) {
    }

    /**
     * What to set, given the current options: nothing if MaxHeapFreeRatio was chosen by whoever started the JVM;
     * otherwise MinHeapFreeRatio first (it must not exceed the maximum) where it is the default, then the maximum,
     * never below a minimum the user chose.
     */
    static List<Setting> settings(VMOption min, VMOption max) {
        List<Setting> settings = new ArrayList<>();
        if (max.getOrigin() != VMOption.Origin.DEFAULT) {
            return settings;
        }
        int minPercent = Integer.parseInt(min.getValue());
        if (min.getOrigin() == VMOption.Origin.DEFAULT && minPercent > MIN_FREE_PERCENT) {
            settings.add(new Setting(MIN, MIN_FREE_PERCENT));
            minPercent = MIN_FREE_PERCENT;
        }
        settings.add(new Setting(MAX, Math.max(MAX_FREE_PERCENT, minPercent)));
        return settings;
    }
}
