package dev.prunelab.events;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.prunelab.vocabulary.InvalidSetting;
import java.time.Instant;

/**
 * A search the gateway accepted (topic {@value Topics#SEARCH_REQUESTED}, compacted, keyed by search id): the durable
 * record a gateway rebuilds the search from after a restart. The search's progress needs no event of its own: it is
 * a function of this request, its runs' events and the clock ({@code occurredAt} starts the time budget).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"schemaVersion", "type", "searchId", "occurredAt", "search"})
public record SearchRequested(String searchId, Instant occurredAt, SearchRequest search) implements Event {

    public static final String TYPE = "search.requested";

    public SearchRequested {
        Check.id("searchId", searchId, SearchRequest.MAX_SEARCH_ID_LENGTH);
        Check.instant("occurredAt", occurredAt);
        Check.present("search", search);
        if (!search.searchId().equals(searchId)) {
            throw new InvalidSetting("search.searchId", "'" + Check.shortened(search.searchId())
                    + "' differs from the event's searchId '" + searchId + "'");
        }
    }

    public SearchRequested(SearchRequest search, Instant occurredAt) {
        this(search.searchId(), occurredAt, search);
    }

    @Override
    public String key() {
        return searchId;
    }
}
