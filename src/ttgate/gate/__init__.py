"""The gate: loaders (HCL, plans) into one model, pure rules over it, findings, reporters."""
