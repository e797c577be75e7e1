package dev.prunelab.console;

import dev.prunelab.vocabulary.ExecutionProvider;
import dev.prunelab.vocabulary.InvalidSetting;
import dev.prunelab.vocabulary.LayerSparsity;
import dev.prunelab.vocabulary.MaskRefinement;
import dev.prunelab.vocabulary.PerplexityProtocol;
import dev.prunelab.vocabulary.PruneMethod;
import dev.prunelab.vocabulary.StructuredAllocation;
import dev.prunelab.vocabulary.StructuredScore;
import dev.prunelab.vocabulary.StructuredTarget;
import dev.prunelab.vocabulary.WeightDtype;
import dev.prunelab.vocabulary.WeightQuantizer;
import dev.prunelab.vocabulary.Word;
import dev.prunelab.vocabulary.ZeroShotTaskName;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine;

/**
 * How every lab command reports problems: wrong arguments and user errors (bad input, missing files, invalid
 * models) as one line and exit code 2, never a stack trace; only unexpected failures print one (exit 1).
 */
public final class CommandLines {
    private CommandLines() {
    }

    /** The vocabulary's words an option may take, by their ids ("mlp+heads", "wanda-sp", "f16"). */
    private static final List<Class<? extends Word>> WORDS = List.of(PruneMethod.class, LayerSparsity.class,
            MaskRefinement.class,
            WeightDtype.class, StructuredTarget.class, StructuredScore.class, StructuredAllocation.class,
            PerplexityProtocol.class, ExecutionProvider.class, ZeroShotTaskName.class, WeightQuantizer.class);

    /** A picocli command line with the lab's error handling and the vocabulary's words as option types. */
    public static CommandLine of(Object command) {
        CommandLine commandLine = new CommandLine(command);
        for (Class<? extends Word> word : WORDS) {
            register(commandLine, word);
        }
        commandLine.setExecutionExceptionHandler(CommandLines::executionFailed);
        commandLine.setParameterExceptionHandler(CommandLines::wrongArguments);
        return commandLine;
    }

    private static <W extends Word> void register(CommandLine commandLine, Class<W> word) {
        commandLine.registerConverter(word, id -> {
            for (W constant : word.getEnumConstants()) {
                if (constant.id().equals(id)) {
                    return constant;
                }
            }
            try {
                // the word's own reading: aliases ("heads+mlp", "float16") and its message for an unknown id
                return word.cast(word.getMethod("of", String.class).invoke(null, id));
            } catch (InvocationTargetException e) {
                throw new CommandLine.TypeConversionException(e.getCause().getMessage());
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(word.getSimpleName() + " has no of(String)", e);
            }
        });
    }

    /**
     * The flag a setting's field is given by: {@code maxWindows} is {@code --max-windows}, {@code sparsities[1]}
     * (one value of a list) is {@code --sparsities}, and a text file's {@code calibration.text} is the flag that
     * names the file, {@code --calibration}.
     */
    public static String flag(String field) {
        String plain = field.replaceAll("\\[\\d+]", "").replaceAll("\\.text$", "");
        String last = plain.substring(plain.lastIndexOf('.') + 1);
        return "--" + last.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    static int wrongArguments(CommandLine.ParameterException e, String[] args) {
        CommandLine command = e.getCommandLine();
        command.getErr().println("error: " + e.getMessage() + " (see ./lab " + command.getCommandName() + " --help)");
        command.getErr().flush();
        return 2;
    }

    static int executionFailed(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
        PrintWriter err = commandLine.getErr();
        if (e instanceof InvalidSetting setting && !setting.field().isEmpty()) {
            // the engines name fields; a user of the command line knows them by their flags
            err.println("error: " + flag(setting.field()) + ": " + setting.problem());
            err.flush();
            return 2;
        }
        if (e instanceof IllegalArgumentException || e instanceof IllegalStateException
                || e instanceof UncheckedIOException) {
            err.println("error: " + e.getMessage());
            err.flush();
            return 2;
        }
        err.println("error: " + e);
        e.printStackTrace(err);
        err.flush();
        return 1;
    }
}
