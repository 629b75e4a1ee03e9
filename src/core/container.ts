// inversify's decorators read and write metadata through the Reflect API; this must run before any
// decorated class is defined, which is why every DI import goes through this module.
import "reflect-metadata";
import { Container, type MapToResolvedValueInjectOptions, type ServiceIdentifier } from "inversify";

export { Container, inject, injectable, named, optional } from "inversify";
export type { Newable, ServiceIdentifier } from "inversify";

/**
 * A container as an {@link App} owns it: bindings are singletons, since components (a Kafka client, a
 * consumer server) are meant to exist once per application.
 */
export function createContainer(): Container {
  return new Container({ defaultScope: "Singleton" });
}

/**
 * Binds a ready-made value — usually a component built from config — to a token, replacing an earlier
 * binding of that token. An `@injectable()` class receives it with `@inject(token)`.
 *
 * Tokens are any inversify service identifier; using the config key as a string (`"kafka"`) keeps
 * "which component" readable at the injection site.
 */
export function bindValue<T>(container: Container, token: ServiceIdentifier<T>, value: T): void {
  if (container.isBound(token)) container.unbindSync(token);
  container.bind<T>(token).toConstantValue(value);
}

/**
 * Binds a token to a factory whose arguments are other bound tokens — dependency injection without
 * decorators. The factory runs once, on first resolution.
 *
 * @example bindFactory(container, "orders", (kafka: Component) => new Orders(kafka), ["kafka"])
 */
export function bindFactory<T, Args extends unknown[]>(
  container: Container,
  token: ServiceIdentifier<T>,
  factory: (...args: Args) => T,
  dependencies: MapToResolvedValueInjectOptions<Args>,
): void {
  if (container.isBound(token)) container.unbindSync(token);
  container.bind<T>(token).toResolvedValue(factory, dependencies).inSingletonScope();
}

/**
 * The value bound to `token`; for an `@injectable()` class that was never bound, an instance of it
 * with its `@inject(...)` dependencies filled in (created once, then reused).
 */
export function resolve<T>(container: Container, token: ServiceIdentifier<T>): T {
  return container.get<T>(token, { autobind: true });
}
