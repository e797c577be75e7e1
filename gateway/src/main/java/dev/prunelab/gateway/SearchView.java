package dev.prunelab.gateway;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * A search as the REST API shows it (docs/search.md). Its full runs and dense reference are the sweep
 * {@code searchId} ({@code GET /api/sweeps/{searchId}} gives their joined results, the noise-aware front and the
 * recommendation); its screening runs are the sweep {@code screenSweepId}.
 *
 * @param status      running | stopping (stopped, runs still under way) | done | cancelled
 * @param stopReason  why no more runs are proposed; null while the search goes on
 * @param deadline    when the time budget ends; null without one
 * @param front       the search's front over the dense run and the finished full runs, by mean figures, lowest
 *                    perplexity first
 * @param objectives  the front's and the hypervolume's two axes
 * @param hypervolume the area the front dominates below (4 × dense perplexity, dense cost), perplexity and cost as
 *                    ratios to dense ({@link Hypervolume}); null until the dense run completed
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record SearchView(String searchId, String status, String stopReason, String model, String denseRunId,
                         String screenSweepId, Instant requestedAt, Instant deadline, Integer maxRuns, Counts counts,
                         List<String> front, String objectives, Double hypervolume, List<CandidateView> candidates) {

    /**
     * @param candidates the space's size
     * @param screened   candidates whose screen is final
     * @param promoted   candidates chosen for a full run (0 until every screen is final)
     * @param fullRuns   promoted candidates whose full run is final
     * @param published  run requests the search published, screens, dense and full runs together
     * @param inFlight   published runs not final yet
     */
    public record Counts(int candidates, int screened, int promoted, int fullRuns, int published, int inFlight) {
    }

    /**
     * @param screenState     proposed | requested | pruned | completed | failed
     * @param paretoLayer     0 for the screen's front on (perplexity, bytes), 1 for the next layer, ...; null when
     *                        not ranked (screen not done, failed, or above a screening limit)
     * @param fullPerplexity  the full run's perplexity once completed
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record CandidateView(String label, String screenRunId, String screenState, Double screenPerplexity,
                                Long sizeBytes, Integer paretoLayer, boolean promoted, String fullRunId,
                                String fullState, Double fullPerplexity) {
    }
}
