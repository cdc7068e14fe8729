package dev.raftj.tasks;

import dev.raftj.core.UserError;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/** The registry of built-in tasks, by name. */
public final class Tasks {
    private static final Map<String, Supplier<Task>> FACTORIES = new LinkedHashMap<>();
    private static final Map<String, Task> INSTANCES = new LinkedHashMap<>();

    static {
        FACTORIES.put(ArithTask.NAME, ArithTask::new);
        FACTORIES.put(SentimentTask.NAME, SentimentTask::new);
        FACTORIES.put(SentimentStyleTask.NAME, SentimentStyleTask::new);
    }

    private Tasks() {}

    /** The task called {@code name}; an unknown name is a UserError that lists the known ones. */
    public static synchronized Task get(String name) {
        Supplier<Task> factory = FACTORIES.get(name);
        if (factory == null) {
            throw new UserError("unknown task '" + name + "' (known tasks: " + String.join(", ", names()) + ")");
        }
        return INSTANCES.computeIfAbsent(name, n -> factory.get());
    }

    /** Names of the built-in tasks, in registration order. */
    public static Set<String> names() {
        return FACTORIES.keySet();
    }
}
