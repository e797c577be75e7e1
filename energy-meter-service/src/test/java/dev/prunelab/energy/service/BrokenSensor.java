package dev.prunelab.energy.service;

import java.util.Map;

/** As {@link InMemorySamples}, but every sensor read fails: no RAPL, and a /proc/stat that does not exist. */
public class BrokenSensor extends InMemorySamples {

    @Override
    public Map<String, String> start() {
        Map<String, String> config = new java.util.HashMap<>(super.start());
        config.put("prunelab.energy.powercap", "/nonexistent/powercap");
        config.put("prunelab.energy.proc-stat", "/nonexistent/proc/stat");
        config.put("prunelab.energy.max-failed-ticks", "3");
        return config;
    }
}
