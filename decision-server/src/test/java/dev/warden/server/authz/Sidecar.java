package dev.warden.server.authz;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import dev.warden.bundle.BundleDirectory;
import dev.warden.policy.bundle.BundleCompiler;
import dev.warden.proto.v1.DecisionsGrpc;
import dev.warden.server.ActiveBundle;
import dev.warden.server.Structs;
import dev.warden.server.admin.ServerMetrics;
import dev.warden.server.decide.DecisionsService;
import dev.warden.server.identity.IdentityResolver;
import dev.warden.server.identity.JwtVerifier;
import io.envoyproxy.envoy.config.core.v3.Metadata;
import io.envoyproxy.envoy.service.auth.v3.AttributeContext;
import io.envoyproxy.envoy.service.auth.v3.AuthorizationGrpc;
import io.envoyproxy.envoy.service.auth.v3.CheckRequest;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Both APIs served in-process over one Authorizer, as `warden serve` wires them, on a bundle
 * made to reach every outcome; callers' claims travel as Envoy's jwt_authn metadata.
 */
final class Sidecar implements AutoCloseable {
  static final Instant NOW = Instant.parse("2026-11-23T10:00:00Z");

  /** Every outcome is a request away; `/scan` as `uN` takes some N steps (heavy past 1,000). */
  static final String POLICY = """
      package work

      principal {
        id:    string      = jwt.sub
        roles: set<string> = jwt.claims.roles ? []
        level: int?        = jwt.claims.level
      }

      role customer { allow read }

      api "Work" {
        route read   GET  /items/{id}
        route create POST /items         since 2099-01-01
        route legacy GET  /v1/items      retired 2020-01-01
        route calc   GET  /calc
        route scan   GET  /scan
      }

      data names: list<string>

      forbid read when request.headers["x-block"] == "yes" because "blocked"
      permit calc when (principal.level ? 1) + 9223372036854775807 > 0
      permit calc when principal.id == "alice"
      permit scan when any n in data.names: n == principal.id
      """;

  final ServerMetrics metrics = new ServerMetrics();
  final ActiveBundle bundle = new ActiveBundle();
  final Server server;
  final ManagedChannel channel;
  final ExtAuthzService extAuthz;
  final DecisionsService decide;

  private Sidecar(Options o) throws Exception {
    Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    if (o.bundle != null) {
      bundle.activate(new BundleCompiler().compile(BundleDirectory.read(o.bundle)).programOrThrow(), "work", NOW);
    }
    Authorizer authorizer = new Authorizer(bundle, new RequestMapper(clock, "jwt_payload"),
        new DecideRequestMapper(clock), new IdentityResolver(o.jwt, "x-api-key", "api_keys"), new DecisionIds(),
        new Deciding(o.heavy, o.deadlineNanos, metrics), o.failureStatus, o.evaluation);
    extAuthz = new ExtAuthzService(authorizer, new ResponseMapper(List.of(), true),
        new DecisionRecorder(DecisionRecord.Api.EXT_AUTHZ, metrics));
    decide = new DecisionsService(authorizer, new DecisionRecorder(DecisionRecord.Api.DECIDE, metrics));
    String name = InProcessServerBuilder.generateName();
    server = InProcessServerBuilder.forName(name).directExecutor().addService(extAuthz).addService(decide).build()
        .start();
    channel = InProcessChannelBuilder.forName(name).directExecutor().build();
  }

  /** What to serve with; every setting has the sidecar's default or a test's usual choice. */
  static final class Options {
    Path bundle;
    Executor heavy = Runnable::run;
    long deadlineNanos = TimeUnit.SECONDS.toNanos(30);
    int failureStatus = 403;
    Authorizer.Evaluation evaluation = (p, call, r, steps, deadline) -> call != null
        ? p.tryDecide(call, r, steps, deadline) : p.tryDecide(r, steps, deadline);
    JwtVerifier jwt;

    Options bundle(Path dir) {
      bundle = dir;
      return this;
    }

    Options heavy(Executor e) {
      heavy = e;
      return this;
    }

    Options deadline(long nanos) {
      deadlineNanos = nanos;
      return this;
    }

    Options failureStatus(int status) {
      failureStatus = status;
      return this;
    }

    Options evaluation(Authorizer.Evaluation e) {
      evaluation = e;
      return this;
    }

    Options jwt(JwtVerifier verifier) {
      jwt = verifier;
      return this;
    }

    Sidecar start() throws Exception {
      return new Sidecar(this);
    }
  }

  static Options with() {
    return new Options();
  }

  /** Writes the work bundle (20,000 names: `/scan` as someone else reaches the step budget). */
  static Path writeBundle(Path dir) throws IOException {
    Files.writeString(dir.resolve("work.warden"), POLICY);
    Files.writeString(dir.resolve("bundle.yaml"), "revision: work-1\n");
    StringBuilder names = new StringBuilder("[");
    for (int i = 0; i < 20_000; i++) {
      names.append(i == 0 ? "" : ",").append("\"u").append(i).append('"');
    }
    Files.createDirectories(dir.resolve("data"));
    Files.writeString(dir.resolve("data/names.json"), names.append(']').toString());
    return dir;
  }

  AuthorizationGrpc.AuthorizationBlockingStub checks() {
    return AuthorizationGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  DecisionsGrpc.DecisionsBlockingStub decisions() {
    return DecisionsGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  /** Envoy's CheckRequest; {@code claims} as jwt_authn's payload (null: anonymous). */
  static CheckRequest check(String method, String path, Map<String, ?> claims, Map<String, String> headers) {
    AttributeContext.Builder attrs = AttributeContext.newBuilder().setRequest(AttributeContext.Request.newBuilder()
        .setHttp(AttributeContext.HttpRequest.newBuilder().setMethod(method).setPath(path).putAllHeaders(headers)));
    if (claims != null) {
      attrs.setMetadataContext(Metadata.newBuilder().putFilterMetadata("envoy.filters.http.jwt_authn",
          Struct.newBuilder().putFields("jwt_payload", Value.newBuilder().setStructValue(Structs.of(claims)).build())
              .build()));
    }
    return CheckRequest.newBuilder().setAttributes(attrs).build();
  }

  /** The metrics as `/metrics` serves them. */
  String metricsText() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      new PrometheusTextFormatWriter(false).write(out, metrics.registry().scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The value of one series, as `name{labels}`; 0 when it was never counted. */
  double value(String series) {
    for (String line : metricsText().split("\n")) {
      if (line.startsWith(series + " ")) {
        return Double.parseDouble(line.substring(series.length() + 1).trim());
      }
    }
    return 0;
  }

  /** The `warden_decisions_total` series of one answer. */
  static String decisions(String api, String outcome, int status) {
    return "warden_decisions_total{api=\"" + api + "\",outcome=\"" + outcome + "\",result=\""
        + (outcome.equals("allow") ? "allow" : "deny") + "\",status=\"" + status + "\"}";
  }

  @Override
  public void close() {
    channel.shutdownNow();
    server.shutdownNow();
  }
}
