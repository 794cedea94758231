package dev.warden.policy.check;

import dev.warden.policy.types.Type;
import java.util.List;
import java.util.Objects;

/**
 * What a policy can see of the request on one route, where that differs from route to route:
 * the type of `request.body`. Every route has the {@link #DEFAULT} model (no body field) until
 * its schema gives it one; a rule covering several routes sees a field only when every one of
 * them types it the same way. The rest of the request model ({@link InputField}) is the same on
 * every route.
 *
 * @param body the type of the route's JSON body, or null when the route declares none
 * @param bodyCertain whether a request that reaches the route's rules always has that body: its
 *     schema requires it and validates it as the policy reads it (an inline shape)
 */
public record RequestModel(Type body, boolean bodyCertain) {
  /** A route without a schema: no `request.body`. */
  public static final RequestModel DEFAULT = new RequestModel(null, false);

  /** A body that may be absent (or not read as its type). */
  public RequestModel(Type body) {
    this(body, false);
  }

  /**
   * The type of {@code field} on this route, or null when the route has no such field. The body
   * is optional unless certain: absent when the request has none, or one that is not JSON of the
   * declared type.
   */
  public Type typeOf(InputField field) {
    if (field == InputField.REQUEST_BODY) {
      return body == null ? null : bodyCertain ? body : Type.optional(body);
    }
    return field.type;
  }

  /**
   * What a rule covering routes with these models sees: a field's type when every model types it
   * the same way, or null.
   */
  public static RequestModel common(List<RequestModel> models) {
    if (models.isEmpty()) {
      return DEFAULT;
    }
    Type body = models.get(0).body;
    boolean certain = true;
    for (RequestModel m : models) {
      if (!Objects.equals(m.body, body)) {
        return DEFAULT;
      }
      certain &= m.bodyCertain;
    }
    return new RequestModel(body, certain);
  }
}
