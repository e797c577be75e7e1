package dev.prunelab.gateway.service;

import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.SweepCancelled;
import dev.prunelab.events.SweepRequest;
import dev.prunelab.gateway.Constraints;
import dev.prunelab.gateway.EmissionsCsv;
import dev.prunelab.gateway.InputFiles;
import dev.prunelab.gateway.SweepReports;
import dev.prunelab.gateway.SweepView;
import dev.prunelab.gateway.service.ApiErrors.UnknownIdException;
import dev.prunelab.gateway.service.ApiResponses.ApiError;
import dev.prunelab.gateway.service.ApiResponses.SweepAccepted;
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

@Path("/api/sweeps")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "sweeps", description = "Grids of runs on one model: methods × sparsities/patterns/structured ratios × evaluations")
public class SweepResource {

    static final String LIMIT_DESCRIPTION = "The recommendation's quality limit: perplexity at most this fraction "
            + "above the baseline (0.10 = 10%)";
    static final String SPEEDUP_DESCRIPTION = "The recommendation's speed limit: the decode speed-up against the "
            + "dense run, its lower 95% bound, at least this (absent: any)";
    static final String MEMORY_DESCRIPTION = "The recommendation's memory limit: the evaluator's peak resident memory "
            + "for the run at most this many MiB (absent: any)";
    static final String BASELINE_DESCRIPTION = "The baseline perplexity; absent = the sweep's dense run (sparsity 0 "
            + "or ratio 0), else its least pruned completed run";

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
    @Operation(summary = "Submit a sweep", description = "Validates the sweep (and that model.path, model.tokenizer, "
            + "calibration.text lie inside the lab's input roots and exist), expands it into runs with deterministic ids "
            + "(sweepId-<12 hex of the configuration's sha256>) and publishes each run request to "
            + "prunelab.run.requested, waiting for the broker. Resubmitting a sweep publishes only the runs the "
            + "gateway does not know yet.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = SweepRequest.class)))
    @APIResponse(responseCode = "202", description = "Accepted: the run ids",
            content = @Content(schema = @Schema(implementation = SweepAccepted.class)))
    @APIResponse(responseCode = "400", description = "Invalid sweep; the error names the field",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    @APIResponse(responseCode = "503", description = "The gateway is still rebuilding its state")
    public Response submit(String body) {
        state.requireReady();
        SweepRequest sweep = codec.decodeSweep(body);
        for (var evaluation : sweep.evaluations()) {
            new InputFiles(inputRoots).check(sweep.model(), sweep.calibration(), evaluation);
        }
        List<RunRequested> runs = runLimit.expand(sweep, Instant.now());
        List<String> published = new ArrayList<>();
        for (RunRequested run : runs) {
            if (publisher.submit(run)) {
                published.add(run.runId());
            }
        }
        return Response.accepted(new SweepAccepted(sweep.sweepId(), runs.stream().map(RunRequested::runId).toList(),
                published)).build();
    }

    @GET
    @Operation(summary = "List sweeps", description = "Every sweep with its runs, Pareto front and recommendation")
    public List<SweepView> list(
            @Parameter(description = LIMIT_DESCRIPTION) @QueryParam("maxPerplexityIncrease") String maxIncrease,
            @Parameter(description = SPEEDUP_DESCRIPTION) @QueryParam("minSpeedup") String minSpeedup,
            @Parameter(description = MEMORY_DESCRIPTION) @QueryParam("maxMemoryMb") String maxMemoryMb,
            @Parameter(description = BASELINE_DESCRIPTION) @QueryParam("baselinePerplexity") String baseline) {
        state.requireReady();
        return state.sweeps(constraints(maxIncrease, minSpeedup, maxMemoryMb), baseline(baseline));
    }

    @GET
    @Path("/{sweepId}")
    @Operation(summary = "Get a sweep", description = "Status per run (queued, pruning, evaluating, done, failed, "
            + "cancelled) with progress, joined results (prune summary, evaluation metrics, the decode energy ratio and "
            + "speed-up against dense with 95% intervals, paired in one window or unpaired and conservative per run, "
            + "the energy stage's absolute J/token and speed with its window, the pruner's energy, carbon, each with "
            + "its source, break-even; a figure that cannot be computed is absent with a note, never an error), the "
            + "Pareto front (perplexity, size, energy ratio, speed-up; noise is a tie) and the recommended run under "
            + "the constraints, with the reason")
    @APIResponse(responseCode = "200", description = "The sweep",
            content = @Content(schema = @Schema(implementation = SweepView.class)))
    @APIResponse(responseCode = "404", description = "No run of this sweep is known",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public SweepView get(@PathParam("sweepId") String sweepId,
                         @Parameter(description = LIMIT_DESCRIPTION) @QueryParam("maxPerplexityIncrease") String maxIncrease,
                         @Parameter(description = SPEEDUP_DESCRIPTION) @QueryParam("minSpeedup") String minSpeedup,
                         @Parameter(description = MEMORY_DESCRIPTION) @QueryParam("maxMemoryMb") String maxMemoryMb,
                         @Parameter(description = BASELINE_DESCRIPTION) @QueryParam("baselinePerplexity") String baseline) {
        state.requireReady();
        return state.sweep(sweepId, constraints(maxIncrease, minSpeedup, maxMemoryMb), baseline(baseline))
                .orElseThrow(() -> new UnknownIdException("unknown sweep '" + sweepId + "'"));
    }

    @GET
    @Path("/{sweepId}/emissions.csv")
    @Produces("text/csv")
    @Operation(summary = "The sweep's energy as CodeCarbon's emissions.csv", description = "One row per run that has "
            + "energy: the pruner's and the energy stage's joules, in CodeCarbon's column layout (kWh, kg CO2e, "
            + "seconds), with the configured intensity and PUE")
    @APIResponse(responseCode = "404", description = "Unknown sweep",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response emissions(@PathParam("sweepId") String sweepId) {
        state.requireReady();
        SweepView sweep = state.sweep(sweepId, Constraints.perplexityOnly(SweepReports.DEFAULT_MAX_PERPLEXITY_INCREASE),
                null).orElseThrow(() -> new UnknownIdException("unknown sweep '" + sweepId + "'"));
        return Response.ok(EmissionsCsv.of(sweep.runs(), state.carbon()))
                .header("Content-Disposition", "attachment; filename=\"" + sweepId + "-emissions.csv\"").build();
    }

    @DELETE
    @Path("/{sweepId}")
    @Operation(summary = "Cancel a sweep", description = "Publishes sweep.cancelled; runs not yet started end as "
            + "cancelled (the pruner skips them), a run under way finishes")
    @APIResponse(responseCode = "202", description = "Cancellation published",
            content = @Content(schema = @Schema(implementation = SweepCancellation.class)))
    @APIResponse(responseCode = "404", description = "Unknown sweep",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response cancel(@PathParam("sweepId") String sweepId,
                           @Parameter(description = "Why, shown with the cancelled runs") @QueryParam("reason") String reason) {
        state.requireReady();
        if (state.join().sweep(sweepId).isEmpty()) {
            throw new UnknownIdException("unknown sweep '" + sweepId + "'");
        }
        SweepCancelled cancelled = new SweepCancelled(sweepId, Instant.now(), reason);
        publisher.cancel(cancelled);
        state.accept(cancelled); // the consumer will read it back; recorded now so a GET right after shows it
        return Response.accepted(new SweepCancellation(sweepId, cancelled.reason())).build();
    }

    static Constraints constraints(String maxIncrease, String minSpeedup, String maxMemoryMb) {
        double limit = maxIncrease == null || maxIncrease.isBlank() ? SweepReports.DEFAULT_MAX_PERPLEXITY_INCREASE
                : number("maxPerplexityIncrease", maxIncrease);
        Double speedup = minSpeedup == null || minSpeedup.isBlank() ? null : number("minSpeedup", minSpeedup);
        Double memory = maxMemoryMb == null || maxMemoryMb.isBlank() ? null : number("maxMemoryMb", maxMemoryMb);
        return new Constraints(limit, speedup, memory);
    }

    static Double baseline(String text) {
        return text == null || text.isBlank() ? null : number("baselinePerplexity", text);
    }

    private static double number(String name, String text) {
        try {
            return Double.parseDouble(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + ": '" + text + "' is not a number");
        }
    }
}
