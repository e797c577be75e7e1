package dev.prunelab.gateway.service;

import dev.prunelab.gateway.service.ApiResponses.ApiError;
import io.quarkus.logging.Log;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Singleton;
import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;
import java.util.Set;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

/**
 * Every request that changes state (POST, DELETE, anything but GET, HEAD and OPTIONS) needs
 * {@code Authorization: Bearer <prunelab.api-token>}; reading runs and sweeps stays open to the dashboard. Without a
 * configured token nothing can be submitted (closed by default). Tokens are compared as SHA-256 digests with
 * {@link MessageDigest#isEqual}, in time independent of where they differ and of their lengths, and a refusal says
 * only that authentication is required.
 */
@Singleton
public class ApiTokenFilter {

    static final String REFUSAL = "authentication required";
    private static final Set<String> READS = Set.of("GET", "HEAD", "OPTIONS");
    private static final String BEARER = "Bearer ";

    private final Optional<byte[]> expectedDigest;

    public ApiTokenFilter(@ConfigProperty(name = "prunelab.api-token") Optional<String> token) {
        this.expectedDigest = token.filter(t -> !t.isBlank()).map(ApiTokenFilter::digest);
    }

    void warnWithoutToken(@Observes StartupEvent started) {
        if (expectedDigest.isEmpty()) {
            Log.warn("prunelab.api-token (PRUNELAB_API_TOKEN) is not set: every POST and DELETE is refused with 401");
        }
    }

    @ServerRequestFilter(preMatching = true)
    public Optional<Response> authenticate(ContainerRequestContext request) {
        if (READS.contains(request.getMethod()) || authorized(request.getHeaderString(HttpHeaders.AUTHORIZATION))) {
            return Optional.empty();
        }
        return Optional.of(Response.status(Response.Status.UNAUTHORIZED).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .type(MediaType.APPLICATION_JSON).entity(new ApiError(REFUSAL)).build());
    }

    boolean authorized(String authorization) {
        if (expectedDigest.isEmpty() || authorization == null || !authorization.startsWith(BEARER)) {
            return false;
        }
        return MessageDigest.isEqual(expectedDigest.get(), digest(authorization.substring(BEARER.length()).strip()));
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
