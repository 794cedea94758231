package dev.warden.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * `warden bundle rollback [--admin URL]`: asks a running sidecar (`POST /bundles/rollback` on
 * its admin listener) to activate the revision before the active one and pin it until its
 * source changes; `--bundle NAME` names the bundle when it serves several. Exit 0 rolled back, 1
 * nothing to roll back to, 2 the sidecar cannot be reached, has no such bundle, or answered
 * something else.
 */
@Command(name = "rollback", mixinStandardHelpOptions = true,
    description = "Make a running Warden serve its previous bundle revision until the source changes.")
final class BundleRollbackCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @CommandLine.Option(names = "--admin", paramLabel = "URL", defaultValue = "http://127.0.0.1:9192",
      description = "The sidecar's admin listener (http.listen, or http.ops_listen when set); default ${DEFAULT-VALUE}.")
  String admin;

  @CommandLine.Option(names = "--bundle", paramLabel = "NAME",
      description = "Which bundle to roll back, when Warden serves several (its name in /status).")
  String bundle;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    URI target;
    try {
      URI base = new URI(admin.endsWith("/") ? admin.substring(0, admin.length() - 1) : admin);
      if (!"http".equalsIgnoreCase(base.getScheme()) || base.getHost() == null || base.getRawQuery() != null) {
        err.println("error: --admin must be http://HOST:PORT (the admin listener speaks plain HTTP), found `" + admin + "`");
        return WardenCli.USAGE;
      }
      if (bundle != null && !bundle.matches("[a-z0-9][a-z0-9_-]{0,62}")) {
        err.println("error: --bundle `" + bundle + "` is not a bundle name (lower-case letters, digits, `-` and `_`)");
        return WardenCli.USAGE;
      }
      target = URI.create(base + (bundle == null ? "/bundles/rollback" : "/bundles/" + bundle + "/rollback"));
    } catch (java.net.URISyntaxException e) {
      err.println("error: --admin `" + admin + "` is not a URL: " + e.getReason());
      return WardenCli.USAGE;
    }
    HttpResponse<String> response;
    try {
      response = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build().send(
          HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.noBody())
              .build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      err.println("error: cannot reach Warden's admin listener at " + admin + ": " + e);
      return WardenCli.USAGE;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return WardenCli.USAGE;
    }
    JsonNode body;
    try {
      body = JSON.readTree(response.body());
    } catch (IOException e) {
      body = null;
    }
    if (response.statusCode() == 404 && (body == null || !body.isObject())) {
      err.println("error: " + response.body().strip());
      return WardenCli.USAGE;
    }
    if (body == null || !body.isObject()) {
      err.println("error: " + target + " answered " + response.statusCode() + ": " + response.body().strip());
      return WardenCli.USAGE;
    }
    if (response.statusCode() == 200 && body.path("result").asText().equals("ok")) {
      out.println("rolled back: revision " + body.path("revision").asText() + " is active, pinned until the source"
          + " changes");
      out.flush();
      return WardenCli.OK;
    }
    if (response.statusCode() == 409) {
      err.println("error: nothing to roll back to: " + body.path("error").asText());
      return BundleCommand.VERIFY_FAILED;
    }
    err.println("error: " + target + " answered " + response.statusCode() + ": " + body);
    return WardenCli.USAGE;
  }
}
