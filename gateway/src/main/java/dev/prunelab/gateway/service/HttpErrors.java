package dev.prunelab.gateway.service;

import io.quarkus.runtime.configuration.MemorySize;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Every 4xx of the gateway carries {@code {"error": "<one line>"}} (docs/services.md "Errors"), also those that never reach a
 * resource: a body over {@code quarkus.http.limits.max-body-size} (413, refused from its Content-Length before it is
 * read, as Quarkus does, and the connection closed), a path no route serves (404), and whatever else Vert.x fails
 * with a 4xx. The refusals of the REST layer (405, 406, 415, 404 under {@code /api}) are {@link ApiErrors}'.
 */
@ApplicationScoped
public class HttpErrors {

    private static final int[] STATUSES = {400, 401, 403, 404, 405, 406, 408, 411, 413, 414, 415, 431};

    private final long maxBodyBytes;

    public HttpErrors(@ConfigProperty(name = "quarkus.http.limits.max-body-size", defaultValue = "10240K")
                      MemorySize maxBodySize) {
        this.maxBodyBytes = maxBodySize.asLongValue();
    }

    void install(@Observes Router router) {
        router.route().order(Integer.MIN_VALUE + 1).handler(this::refuseLargeBodies);
        for (int status : STATUSES) {
            router.errorHandler(status, ctx -> answer(ctx, status, message(ctx.request(), status)));
        }
    }

    private void refuseLargeBodies(RoutingContext ctx) {
        String length = ctx.request().getHeader(HttpHeaders.CONTENT_LENGTH);
        long bytes;
        try {
            bytes = length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            answer(ctx, 400, "Content-Length: '" + length + "' is not a number");
            return;
        }
        if (bytes > maxBodyBytes) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close")
                    .endHandler(v -> ctx.request().connection().close());
            answer(ctx, 413, tooLarge(bytes + " bytes"));
            return;
        }
        ctx.next();
    }

    String tooLarge(String size) {
        return "(body): " + size + " is more than the limit of " + maxBodyBytes + " bytes (quarkus.http.limits.max-body-size)";
    }

    /** The one-line reason of a 4xx nothing more specific explained. */
    static String message(HttpServerRequest request, int status) {
        String what = request.method() + " " + request.path();
        return switch (status) {
            case 404 -> "no such resource: " + what;
            case 405 -> "method " + request.method() + " is not allowed on " + request.path();
            case 406 -> "cannot answer " + what + " in " + request.getHeader(HttpHeaders.ACCEPT)
                    + " (this resource answers application/json)";
            case 413 -> "(body): more than the limit of quarkus.http.limits.max-body-size";
            case 415 -> "unsupported content type '" + request.getHeader(HttpHeaders.CONTENT_TYPE) + "' for " + what
                    + " (expected application/json)";
            default -> Response.Status.fromStatusCode(status) == null ? "refused: " + what
                    : Response.Status.fromStatusCode(status).getReasonPhrase().toLowerCase() + ": " + what;
        };
    }

    /** The message of a REST-layer refusal (NotFound, NotAllowed, NotSupported, NotAcceptable...) as one line. */
    static String message(HttpServerRequest request, WebApplicationException e) {
        int status = e.getResponse().getStatus();
        if (status == 405) {
            Set<String> allowed = e.getResponse().getAllowedMethods();
            return message(request, status) + (allowed == null || allowed.isEmpty() ? ""
                    : " (allowed: " + String.join(", ", allowed.stream().sorted().toList()) + ")");
        }
        if (Set.of(404, 406, 413, 415).contains(status) || e.getMessage() == null || e.getMessage().isBlank()) {
            return message(request, status);
        }
        return oneLine(e.getMessage());
    }

    static void answer(RoutingContext ctx, int status, String message) {
        if (ctx.response().ended() || ctx.response().headWritten()) {
            return;
        }
        ctx.response().setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .end(new JsonObject().put("error", oneLine(message)).encode());
    }

    static String oneLine(String message) {
        return message == null ? "refused" : message.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
    }
}
