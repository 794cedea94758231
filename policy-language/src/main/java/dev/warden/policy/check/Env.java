package dev.warden.policy.check;

import dev.warden.policy.types.Type;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * What names an expression may use where it is written.
 *
 * @param principal declared principal fields by name, with their slots
 * @param data data documents by name, with their slots
 * @param params the path parameters every targeted route declares, by name
 * @param paramProblem why a name is not a parameter here, when some targeted route lacks it
 * @param roles role ids by name
 * @param brokenData data documents that exist but could not be typed (already reported), so
 *     uses of them are not reported again as unknown
 * @param request what the targeted routes let a rule see of the request
 * @param bodyProblem why `request.body` has no type here, naming the routes, or null
 */
record Env(
    Map<String, Slot> principal,
    Map<String, Slot> data,
    Map<String, Type> params,
    Function<String, String> paramProblem,
    Map<String, Integer> roles,
    Set<String> brokenData,
    RequestModel request,
    String bodyProblem) {

  record Slot(int index, Type type) {}

  Env withParams(Map<String, Type> newParams, Function<String, String> problem) {
    return new Env(principal, data, newParams, problem, roles, brokenData, request, bodyProblem);
  }

  Env withRequest(RequestModel model, String whyNoBody) {
    return new Env(principal, data, params, paramProblem, roles, brokenData, model, whyNoBody);
  }
}
