import type { App, Config, Newable, ServiceIdentifier } from "../src/core/index.js";
import type { Component } from "../src/index.js";
import { load } from "./container.js";
import { withEkafka, type Option } from "./options.js";
import type { ConsumerServer } from "./server.js";

/** Which registration a decorated method becomes. */
export type HandlerKind = "onEachMessage" | "onStart" | "onConsumerGroupStart";

/** A decorated method, as {@link handlersOf} reports it. */
export interface HandlerDeclaration {
  /** The server's config key, e.g. `kafkaConsumerServers.s1`. */
  key: string;
  /** Which server method the decorated method is registered with (`@eachMessage` → "onEachMessage", …). */
  kind: HandlerKind;
  /** The decorated method's name on the class. */
  method: string | symbol;
  /** For onEachMessage: the method that receives errors. */
  onError?: string | symbol;
  /** Options for this server only. */
  options: Option[];
}

/** Settings of {@link eachMessage}. */
export interface EachMessageSettings<T> {
  /** The name of a method of the same class that receives every error (see `ErrorHandler`). */
  onError?: keyof T & (string | symbol);
  /** Build options for this server (withRetry, withDeadLetter, …). */
  options?: Option[];
}

// Keyed by prototype: a subclass sees its own declarations and its parents'.
const declarations = new WeakMap<object, HandlerDeclaration[]>();

function declare(prototype: object, declaration: HandlerDeclaration): void {
  const own = declarations.get(prototype) ?? [];
  if (own.some((existing) => existing.key.toLowerCase() === declaration.key.toLowerCase())) {
    throw new Error(
      `${declaration.key}: a server has exactly one handler, and ${String(declaration.method)} is the second one declared for it`,
    );
  }
  own.push(declaration);
  declarations.set(prototype, own);
}

function methodDecorator(key: string, kind: HandlerKind, extra: Omit<HandlerDeclaration, "key" | "kind" | "method"> = { options: [] }) {
  return (prototype: object, method: string | symbol, descriptor: PropertyDescriptor): void => {
    if (typeof descriptor.value !== "function") throw new Error(`@${kind}("${key}") decorates a method; ${String(method)} is not one`);
    declare(prototype, { key, kind, method, ...extra });
  };
}

/**
 * Declares the method as the `onEachMessage` handler of the Consumer Server at `key`; see
 * {@link registerHandlers}. The method is called as `this.method(ctx, message)`.
 *
 * @example
 * @injectable()
 * class Orders {
 *   constructor(@inject(DB) private readonly db: Db) {}
 *   @eachMessage("kafkaConsumerServers.s1", { onError: "failed" })
 *   async handle(ctx: MessageContext, message: Message) { await this.db.save(message.valueString()); }
 *   failed(error: Error) { … }
 * }
 */
export function eachMessage<T extends object>(key: string, settings: EachMessageSettings<T> = {}) {
  return methodDecorator(key, "onEachMessage", {
    options: settings.options ?? [],
    ...(settings.onError === undefined ? {} : { onError: settings.onError }),
  });
}

/** Declares the method as the `onStart` handler (`(ctx, consumer)`) of the server at `key`. */
export function consumerStart(key: string, options: Option[] = []) {
  return methodDecorator(key, "onStart", { options });
}

/** Declares the method as the `onConsumerGroupStart` handler (`(ctx, consumerGroup)`) of the server at `key`. */
export function consumerGroupStart(key: string, options: Option[] = []) {
  return methodDecorator(key, "onConsumerGroupStart", { options });
}

/** The handler methods declared on an object's class and its parent classes. */
export function handlersOf(target: object): HandlerDeclaration[] {
  const found: HandlerDeclaration[] = [];
  for (
    let prototype = Object.getPrototypeOf(target) as object | null;
    prototype !== null;
    prototype = Object.getPrototypeOf(prototype) as object | null
  ) {
    found.push(...(declarations.get(prototype) ?? []));
  }
  return found;
}

/** How {@link registerHandlers} builds the servers. */
export interface RegisterOptions {
  /** The ekafka component, or the token it is bound to in the App's container (e.g. `"kafka"`). */
  ekafka: Component | ServiceIdentifier<Component>;
  /** The config the servers' trees are read from; the global `config` by default. */
  config?: Config;
  /** Build options for every server (each declaration's own options come after). */
  options?: Option[];
}

/**
 * Builds a Consumer Server for each handler method declared on `target` (see {@link eachMessage},
 * {@link consumerStart}, {@link consumerGroupStart}) and serves them with `app`.
 *
 * `target` is an instance, or an `@injectable()` class the App's container builds with its `@inject`
 * dependencies (bind them first with `app.bind(token, value)`).
 *
 * @returns the servers, in declaration order
 * @throws Error when `target` declares no handler
 */
export function registerHandlers<T extends object>(app: App, target: Newable<T> | T, options: RegisterOptions): ConsumerServer[] {
  const instance: T = typeof target === "function" ? app.resolve(target) : target;
  const declared = handlersOf(instance);
  if (declared.length === 0) {
    throw new Error(
      `registerHandlers: ${instance.constructor.name} declares no handler (@eachMessage, @consumerStart or @consumerGroupStart)`,
    );
  }
  const component = isComponent(options.ekafka) ? options.ekafka : app.resolve(options.ekafka);
  const servers = declared.map((declaration) => {
    const server = load(declaration.key, options.config).build(withEkafka(component), ...(options.options ?? []), ...declaration.options);
    register(server, instance, declaration);
    return server;
  });
  app.serve(...servers);
  return servers;
}

function register(server: ConsumerServer, instance: object, declaration: HandlerDeclaration): void {
  const methods = instance as Record<string | symbol, unknown>;
  const method = methods[declaration.method] as (...args: unknown[]) => unknown;
  const bound = (...args: unknown[]) => method.apply(instance, args);
  switch (declaration.kind) {
    case "onEachMessage": {
      const onError = declaration.onError === undefined ? undefined : methods[declaration.onError];
      if (declaration.onError !== undefined && typeof onError !== "function") {
        throw new Error(
          `${declaration.key}: onError names ${String(declaration.onError)}, which is not a method of ${instance.constructor.name}`,
        );
      }
      server.onEachMessage(
        bound,
        onError === undefined ? undefined : (error, details) => (onError as (...a: unknown[]) => unknown).call(instance, error, details),
      );
      break;
    }
    case "onStart":
      server.onStart(bound);
      break;
    case "onConsumerGroupStart":
      server.onConsumerGroupStart(bound);
      break;
  }
}

function isComponent(value: unknown): value is Component {
  return typeof value === "object" && value !== null && typeof (value as Partial<Component>).consumerGroup === "function";
}
