package dev.prunelab.vocabulary;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** A word of the lab's vocabulary: an enum constant with the id it has in requests, events, reports and flags. */
public interface Word {

    /**
     * The id, and the JSON value of every enum of the vocabulary: by default the constant's name in lower case
     * ({@code LAMBADA_OPENAI} is {@code lambada_openai}), so that an enum spells each id once; an enum whose ids
     * are spelled otherwise overrides it.
     */
    @JsonValue
    default String id() {
        return ((Enum<?>) this).name().toLowerCase(Locale.ROOT);
    }

    /**
     * The constant of {@code type} with this id; an unknown id ("unknown {@code noun} 'x' (expected a|b|c)") is an {@link InvalidSetting} of {@code field} (empty
     * from a JSON creator: the reader knows the path and prefixes it).
     */
    static <E extends Enum<E> & Word> E of(Class<E> type, String field, String noun, String id) {
        for (E word : type.getEnumConstants()) {
            if (word.id().equals(id)) {
                return word;
            }
        }
        throw new InvalidSetting(field, "unknown " + noun + " '" + id + "' (expected " + choices(type) + ")");
    }

    /** "a|b|c": the ids of {@code type} in declaration order. */
    static <E extends Enum<E> & Word> String choices(Class<E> type) {
        return Arrays.stream(type.getEnumConstants()).map(Word::id).collect(Collectors.joining("|"));
    }
}
