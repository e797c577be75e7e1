package dev.prunelab.gateway.service;

import dev.prunelab.events.EventCodec;
import dev.prunelab.events.RunConfiguration;
import dev.prunelab.events.RunRequested;
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

    /** The prefix of a single run's id; the published run carries no sweep id. */
    static final String SINGLE_RUN_PREFIX = "run";

    private final EventCodec codec = new EventCodec();

    @Inject
    GatewayState state;

    @Inject
    RunRequestPublisher publisher;

    @Inject
    InputRoots inputRoots;

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Operation(summary = "Submit one run", description = "The run id is \"run-\" + the first 12 hex digits of the "
            + "sha256 of the configuration's canonical JSON (model, prune, calibration, evaluation), as a sweep's "
            + "runs are named, so the same configuration always gets the same id and is published once. "
            + "The run belongs to no sweep.")
    @RequestBody(required = true, description = "One run: {model, prune, calibration, evaluation} as in "
            + "run.requested", content = @Content(mediaType = MediaType.APPLICATION_JSON,
            schema = @Schema(implementation = RunConfiguration.class)))
    @APIResponse(responseCode = "202", description = "Accepted",
            content = @Content(schema = @Schema(implementation = RunAccepted.class)))
    @APIResponse(responseCode = "400", description = "Invalid run; the error names the field",
            content = @Content(schema = @Schema(implementation = ApiError.class)))
    public Response submit(String body) {
        state.requireReady();
        // decoded once, identified once: the run's id is computed as a sweep's runs' are
        RunRequested run = codec.decodeRun(body).request(SINGLE_RUN_PREFIX, Instant.now(), null);
        new InputFiles(inputRoots).check(run.model(), run.calibration(), run.evaluation());
        return Response.accepted(new RunAccepted(run.runId(), publisher.submit(run))).build();
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
