import dev.prunelab.measure.GpuDevice;
import dev.prunelab.measure.NvmlCounter;
import java.io.IOException;

/**
 * The meter's view of CUDA device N (default 0), as the energy stage opens it: the board NVML finds behind the ordinal
 * (CUDA_VISIBLE_DEVICES, CUDA_DEVICE_ORDER), and the total-energy counter's update period measured by reading it in a
 * tight loop. One line on stdout, or one line on stderr and exit status 1 when there is no NVML or no such board.
 * Run with the lab's classpath (bench/gpu-check.sh does): {@code java -cp "$CLASSPATH" bench/NvmlPeriod.java [N]}
 */
public final class NvmlPeriod {
    public static void main(String[] args) {
        int ordinal = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        GpuDevice gpu = GpuDevice.of(ordinal);
        try (NvmlCounter counter = NvmlCounter.open(gpu)) {
            System.out.println(counter.device() + ", " + counter.board().name() + "; " + gpu.mapping() + "; "
                    + counter.updatePeriod().describe());
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            System.err.println("no NVML energy counter for CUDA device " + ordinal + ": " + e.getMessage());
            System.exit(1);
        }
    }
}
