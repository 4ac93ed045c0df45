package dev.mmr.app.encoder;

import dev.mmr.encoder.CheckpointException;
import dev.mmr.encoder.Device;
import dev.mmr.encoder.MatMambaModel;
import dev.mmr.encoder.Precision;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Function;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/** {@code --device} and {@code --precision}: where and at which arithmetic a command runs the encoder. A picocli mixin. */
public final class EncoderOptions {
    @Option(names = "--device", defaultValue = "auto", converter = DeviceConverter.class,
            description = "cpu, cuda or auto (cuda when a usable GPU and CUDA runtime are found, else cpu). Default: ${DEFAULT-VALUE}.")
    Device device = Device.AUTO;

    @Option(names = "--precision", defaultValue = "fp32", converter = PrecisionConverter.class,
            description = "Matrix products in fp32, tf32 or bf16 (float32 accumulation); the cpu device runs fp32 only. Default: ${DEFAULT-VALUE}.")
    Precision precision = Precision.FP32;

    public Device device() {
        return device;
    }

    public Precision precision() {
        return precision;
    }

    /** Loads a model directory onto the chosen device at the chosen precision. */
    public MatMambaModel load(Path modelDir) throws CheckpointException {
        return MatMambaModel.load(modelDir, device, precision);
    }

    /** A picocli converter from a {@code parse} method whose IllegalArgumentException says what is wrong. */
    abstract static class ParsingConverter<T> implements ITypeConverter<T> {
        private final Function<String, T> parse;

        ParsingConverter(Function<String, T> parse) {
            this.parse = parse;
        }

        @Override public T convert(String value) {
            try {
                return parse.apply(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    static final class DeviceConverter extends ParsingConverter<Device> {
        DeviceConverter() {
            super(Device::parse);
        }
    }

    static final class PrecisionConverter implements ITypeConverter<Precision> {
        @Override public Precision convert(String value) {
            try {
                return Precision.valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException("unknown precision '" + value + "' (known: fp32, tf32, bf16)");
            }
        }
    }
}
