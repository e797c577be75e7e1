package dev.prunelab.measure;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ProcessMemoryTest {

    /** The head of a /proc/self/status, as Linux writes it (tab after the colon, right-aligned kilobytes). */
    static final String STATUS = """
            Name:\tjava
            Umask:\t0022
            State:\tS (sleeping)
            VmPeak:\t 7654320 kB
            VmSize:\t 7600000 kB
            VmHWM:\t  412345 kB
            VmRSS:\t  398765 kB
            RssAnon:\t  300000 kB
            Threads:\t42
            """;

    @Test
    void peakAndCurrentResidentMemoryAreReadInBytes() {
        assertEquals(412_345L * 1024, ProcessMemory.peakRssBytes(STATUS));
        assertEquals(398_765L * 1024, ProcessMemory.currentRssBytes(STATUS));
    }

    @Test
    void aStatusWithoutTheLineOrWithAnUnreadableOneGivesNothing() {
        assertNull(ProcessMemory.peakRssBytes("Name:\tjava\nVmPeak:\t 7654320 kB\n"), "VmPeak is not VmHWM");
        assertNull(ProcessMemory.peakRssBytes("VmHWM:\t  lots kB\n"));
        assertNull(ProcessMemory.currentRssBytes(""));
    }
}
