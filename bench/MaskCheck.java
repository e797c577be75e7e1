import ai.onnx.proto.OnnxMl;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/**
 * Do two exported models carry the same pruning masks? Compares every float32 MatMul weight initializer of
 * {@code A/model.onnx} and {@code B/model.onnx} (inline weights, as models under 1 GB are stored): the positions
 * of exact zeros must be the same, and the largest difference of the kept weights is printed. Exit status 0 when
 * every mask is equal. Run with the lab's classpath (bench/performance.sh does):
 * {@code java -cp "$CLASSPATH" bench/MaskCheck.java DIR_A DIR_B}
 */
public final class MaskCheck {
    public static void main(String[] args) throws IOException {
        Map<String, float[]> a = weights(Path.of(args[0]));
        Map<String, float[]> b = weights(Path.of(args[1]));
        if (!a.keySet().equals(b.keySet())) {
            System.out.println("different weight names: " + a.keySet() + " vs " + b.keySet());
            System.exit(1);
        }
        long weights = 0, zeros = 0, maskDiffers = 0;
        double maxDiff = 0;
        for (String name : a.keySet()) {
            float[] x = a.get(name), y = b.get(name);
            if (x.length != y.length) {
                System.out.println(name + ": " + x.length + " vs " + y.length + " elements");
                System.exit(1);
            }
            for (int i = 0; i < x.length; i++) {
                boolean zx = x[i] == 0f, zy = y[i] == 0f;
                if (zx != zy) {
                    maskDiffers++;
                } else if (!zx) {
                    maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
                }
                zeros += zx ? 1 : 0;
            }
            weights += x.length;
        }
        System.out.printf("matrices %d, weights %d, zeros %d, mask differs at %d, max |diff| of kept weights %.3g%n",
                a.size(), weights, zeros, maskDiffers, maxDiff);
        System.exit(maskDiffers == 0 ? 0 : 1);
    }

    private static Map<String, float[]> weights(Path dir) throws IOException {
        OnnxMl.ModelProto model = OnnxMl.ModelProto.parseFrom(Files.readAllBytes(dir.resolve("model.onnx")));
        Map<String, float[]> out = new TreeMap<>();
        for (OnnxMl.TensorProto t : model.getGraph().getInitializerList()) {
            if (!t.getName().endsWith("MatMul.weight") || t.getDataType() != OnnxMl.TensorProto.DataType.FLOAT_VALUE) {
                continue;
            }
            if (t.getRawData().isEmpty()) {
                throw new IllegalArgumentException(t.getName() + " in " + dir + " has no inline raw data");
            }
            FloatBuffer f = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            float[] values = new float[f.remaining()];
            f.get(values);
            out.put(t.getName(), values);
        }
        return out;
    }
}
