package dev.prunelab.gateway.service;

import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SearchRequest;
import dev.prunelab.events.SearchRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.gateway.InputFiles;
import dev.prunelab.gateway.SearchDriver;
import dev.prunelab.gateway.SearchView;
import dev.prunelab.gateway.service.ApiErrors.UnknownIdException;
import dev.prunelab.gateway.service.ApiResponses.ApiError;
import dev.prunelab.gateway.service.ApiResponses.SearchAccepted;
import dev.prunelab.gateway.service.ApiResponses.SweepCancellation;
import dev.prunelab.work.InputRoots;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.Parameter;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/searches")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "searches", description = "Budgeted searches over a space of configurations: screens, successive "
        + "halving, full runs of the promoted candidates (docs/search.md)")
public class SearchResource {

    private final EventCodec codec = new EventCodec();

    @Inject
    GatewayState state;

    @Inject
    RunRequestPublisher publisher;

    @Inject
    InputRoots inputRoots;

    @Inject
    RunLimit runLimit;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Start a search", description = "Validates the search (the space, the constraints, the "
            + "budget, and that model.path, model.tokenizer, calibration.text and the perplexity text lie inside the "
            + "lab's input roots and exist), publishes it to prunelab.search.requested (its durable record) and its "
            + "first runs to prunelab.run.requested, waiting for the broker. Later runs are proposed as earlier ones "
            + "finish. Resubmitting the same search changes nothing.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = SearchRequest.class)))
    @APIResponse(responseCode = "202", description = "Accepted",
            content = @Content(schema = @Schema(implementation = SearchAccepted.class)))
    @APIResponse(responseCode = "400", description = "Invalid search; the error names the field",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "409", description = "A different search already has this id",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response submit(String body) {
        state.requireReady();
        SearchRequest search = codec.decodeSearch(body);
        new InputFiles(inputRoots).check(search.model(), search.calibration(), search.evaluation());
        int mostRuns = 2 + 2 * search.candidates().size();
        int allowed = search.maxRuns() == null ? mostRuns : Math.min(search.maxRuns(), mostRuns);
        if (allowed > runLimit.maxRuns()) {
            throw new IllegalArgumentException("maxRuns: the search may publish up to " + allowed + " runs, more than "
                    + "the limit of " + runLimit.maxRuns() + " (" + RunLimit.PROPERTY + "); give a maxRuns of at most "
                    + runLimit.maxRuns());
        }
        var existing = state.join().search(search.searchId());
        if (existing.isPresent() && !existing.get().search().equals(search)) {
            return ApiErrors.error(Response.Status.CONFLICT, "searchId: '" + search.searchId()
                    + "' is a different search already; choose another id");
        }
        Instant now = Instant.now();
        boolean accepted = publisher.search(new SearchRequested(search, now));
        List<String> published = new ArrayList<>();
        SearchDriver.Step step = state.search(search.searchId(), now).orElseThrow();
        for (RunRequested run : step.toPublish()) {
            if (publisher.submit(run)) {
                published.add(run.runId());
            }
        }
        return Response.accepted(new SearchAccepted(search.searchId(), accepted, published)).build();
    }

    @GET
    @Operation(summary = "List searches", description = "Every search with its state, candidates and front")
    public List<SearchView> list() {
        state.requireReady();
        return state.searches(Instant.now()).stream().map(SearchDriver.Step::view).toList();
    }

    @GET
    @Path("/{searchId}")
    @Operation(summary = "Get a search", description = "Its status (running, stopping, done, cancelled) and why it "
            + "stopped, counts (candidates, screened, promoted, full runs, published, in flight), every candidate "
            + "with its screen's perplexity and bytes, Pareto layer and full run, the front over the full runs "
            + "(perplexity against the decode energy ratio to the dense run, or bytes without an energy stage) and "
            + "its hypervolume. GET /api/sweeps/{searchId} gives the full runs' joined results and recommendation.")
    @APIResponse(responseCode = "200", description = "The search",
            content = @Content(schema = @Schema(implementation = SearchView.class)))
    @APIResponse(responseCode = "404", description = "Unknown search",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public SearchView get(@PathParam("searchId") String searchId) {
        state.requireReady();
        return state.search(searchId, Instant.now()).map(SearchDriver.Step::view)
                .orElseThrow(() -> new UnknownIdException("unknown search '" + searchId + "'"));
    }

    @DELETE
    @Path("/{searchId}")
    @Operation(summary = "Cancel a search", description = "Publishes sweep.cancelled for its full and its "
            + "screening sweep: no run is proposed any more, runs not yet started end as cancelled, a run under way "
            + "finishes")
    @APIResponse(responseCode = "202", description = "Cancellation published",
            content = @Content(schema = @Schema(implementation = SweepCancellation.class)))
    @APIResponse(responseCode = "404", description = "Unknown search",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response cancel(@PathParam("searchId") String searchId,
                           @Parameter(description = "Why, shown with the cancelled runs") @QueryParam("reason") String reason) {
        state.requireReady();
        SearchRequest search = state.join().search(searchId).map(SearchRequested::search)
                .orElseThrow(() -> new UnknownIdException("unknown search '" + searchId + "'"));
        Instant now = Instant.now();
        SweepCancelled cancelled = null;
        for (String sweepId : List.of(search.screenSweepId(), searchId)) {
            cancelled = new SweepCancelled(sweepId, now, reason);
            publisher.cancel(cancelled);
            state.accept(cancelled);
        }
        return Response.accepted(new SweepCancellation(searchId, cancelled.reason())).build();
    }
}
