package dev.prunelab.gateway.service;

import dev.prunelab.gateway.service.ApiResponses.ApiError;
import io.vertx.core.http.HttpServerRequest;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

/**
 * Refusals as {@code {"error": "<field>: <problem>"}}: invalid input 400 (the codec's and the records' validation
 * are {@link IllegalArgumentException}s naming the field), an unknown id 404, a state still being rebuilt 503.
 */
public class ApiErrors {

    /** An unknown run or sweep id. */
    public static final class UnknownIdException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UnknownIdException(String message) {
            super(message);
        }
    }

    @ServerExceptionMapper
    public Response invalid(IllegalArgumentException e) {
        return error(Response.Status.BAD_REQUEST, e.getMessage());
    }

    /** The REST layer's own refusals (no such resource, method not allowed, unsupported media type...) as JSON. */
    @ServerExceptionMapper
    public Response refused(WebApplicationException e, HttpServerRequest request) {
        int status = e.getResponse().getStatus();
        if (status < 400 || status >= 500) {
            return e.getResponse();
        }
        Response.ResponseBuilder answer = Response.status(status).type(MediaType.APPLICATION_JSON)
                .entity(new ApiError(HttpErrors.message(request, e)));
        e.getResponse().getHeaders().forEach((name, values) -> {
            if (!name.equalsIgnoreCase("Content-Type") && !name.equalsIgnoreCase("Content-Length")) {
                values.forEach(v -> answer.header(name, v));
            }
        });
        return answer.build();
    }

    @ServerExceptionMapper
    public Response unknown(UnknownIdException e) {
        return error(Response.Status.NOT_FOUND, e.getMessage());
    }

    @ServerExceptionMapper
    public Response notReady(GatewayState.NotReadyException e) {
        return Response.status(Response.Status.SERVICE_UNAVAILABLE).header("Retry-After", "2")
                .type(MediaType.APPLICATION_JSON).entity(new ApiError(e.getMessage())).build();
    }

    static Response error(Response.Status status, String message) {
        return Response.status(status).type(MediaType.APPLICATION_JSON).entity(new ApiError(message)).build();
    }
}
