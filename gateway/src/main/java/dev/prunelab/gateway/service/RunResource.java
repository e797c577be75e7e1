package dev.prunelab.gateway.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prunelab.events.Event;
import dev.prunelab.events.EventCodec;
import dev.prunelab.events.PruneSpec;
import dev.prunelab.events.RunRequested;
import dev.prunelab.events.StructuredSweep;
import dev.prunelab.events.SweepRequest;
import dev.prunelab.gateway.InputFiles;
import dev.prunelab.gateway.RunView;
import dev.prunelab.gateway.service.ApiErrors.UnknownIdException;
import dev.prunelab.gateway.service.ApiResponses.ApiError;
import dev.prunelab.gateway.service.ApiResponses.RunAccepted;
import dev.prunelab.work.InputRoots;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.time.Instant;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.parameters.RequestBody;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;

@Path("/api/runs")
@Produces(MediaType.APPLICATION_JSON)
@Tag(name = "runs", description = "Single runs, and every run of every sweep")
public class RunResource {

    /** The sweep id a single run is expanded under; the published run carries no sweep id. */
    static final String SINGLE_RUN_PREFIX = "run";

    private final EventCodec codec = new EventCodec();
    private final ObjectMapper json = new ObjectMapper();

    @Inject
    GatewayState state;

    @Inject
    EventPublisher publisher;

    @Inject
    InputRoots inputRoots;

    /** The body of POST /api/runs, for the OpenAPI document. */
    @Schema(description = "One run: {model, prune, calibration, evaluation} as in run.requested (README \"Events\")")
    public record RunBody(dev.prunelab.events.ModelRef model, PruneSpec prune,
                          dev.prunelab.events.CalibrationSpec calibration, dev.prunelab.events.EvaluationSpec evaluation) {
    }

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit one run", description = "The run id is \"run-\" + the first 12 hex digits of the "
            + "sha256 of the configuration's canonical JSON (model, prune, calibration, evaluation): the one-element "
            + "sweep \"run\" expanded, so the same configuration always gets the same id and is published once. "
            + "The run belongs to no sweep.")
    @RequestBody(required = true, content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = RunBody.class)))
    @APIResponse(responseCode = "202", description = "Accepted",
            content = @Content(schema = @Schema(implementation = RunAccepted.class)))
    @APIResponse(responseCode = "400", description = "Invalid run; the error names the field",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response submit(String body) {
        state.requireReady();
        RunRequested run = single(body, Instant.now());
        new InputFiles(inputRoots).check(run.model(), run.calibration(), run.evaluation());
        return Response.accepted(new RunAccepted(run.runId(), publisher.submit(run))).build();
    }

    /** Validates a run body as the codec validates run.requested, and gives it its deterministic id. */
    RunRequested single(String body, Instant now) {
        JsonNode node;
        try {
            node = body == null || body.isBlank() ? null : json.readTree(body);
        } catch (java.io.IOException e) {
            node = null;
        }
        if (!(node instanceof ObjectNode object)) {
            codec.decodeSweep(body); // throws the codec's own "(json): ..." message
            throw new IllegalArgumentException("(json): expected a JSON object");
        }
        object.put("schemaVersion", Event.SCHEMA_VERSION).put("type", RunRequested.TYPE)
                .put("runId", "pending").put("occurredAt", now.toString());
        object.remove("sweepId");
        RunRequested decoded = codec.decode(object.toString(), RunRequested.class);
        PruneSpec prune = decoded.prune();
        StructuredSweep structured = prune.method().isStructured()
                ? new StructuredSweep(List.of(prune.structured().target()), List.of(prune.structured().ratio()),
                        List.of(prune.structured().score()), prune.structured().allocation(),
                        prune.structured().biasCompensation())
                : null;
        SweepRequest one = new SweepRequest(SINGLE_RUN_PREFIX, decoded.model(), List.of(prune.method()),
                prune.sparsity() == null ? null : List.of(prune.sparsity()),
                prune.pattern() == null ? null : List.of(prune.pattern()), structured, decoded.calibration(),
                List.of(decoded.evaluation()), prune.method().isStructured() ? null : prune.layerSparsity(),
                prune.dtype(), false, List.of(prune.refinement()),
                List.of(prune.weightBits() == null ? 32 : prune.weightBits()), prune.weightBlock());
        RunRequested expanded = one.expand(now).get(0);
        return new RunRequested(expanded.runId(), now, null, expanded.model(), expanded.prune(),
                expanded.calibration(), expanded.evaluation());
    }

    @GET
    @Operation(summary = "List runs", description = "Every run the gateway knows, with status and joined results")
    public List<RunView> list() {
        state.requireReady();
        return state.join().all().stream().map(r -> state.run(r.runId()).orElseThrow()).toList();
    }

    @GET
    @Path("/{runId}")
    @Operation(summary = "Get a run")
    @APIResponse(responseCode = "200", description = "The run",
            content = @Content(schema = @Schema(implementation = RunView.class)))
    @APIResponse(responseCode = "404", description = "Unknown run",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public RunView get(@PathParam("runId") String runId) {
        state.requireReady();
        return state.run(runId).orElseThrow(() -> new UnknownIdException("unknown run '" + runId + "'"));
    }
}
