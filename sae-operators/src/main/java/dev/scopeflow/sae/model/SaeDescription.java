package dev.scopeflow.sae.model;

/**
 * What an SAE is, read from file headers and its config only (no weights loaded): the architecture as the
 * registry names it ({@code jumprelu}, {@code standard}, {@code topk}), d_in and d_sae.
 */
public record SaeDescription(String architecture, int dIn, int dSae) {}
