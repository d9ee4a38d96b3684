import { z } from "zod";

/** What the detector found on a denied page (DESIGN.md, "Contracts"). */
export const DetectionSchema = z.object({
  app: z.string().min(1).max(64),
  resource: z.object({
    id: z.string().max(512).nullable(),
    name: z.string().max(512).nullable(),
    url: z.url().max(4096),
  }),
  message: z.string().max(2000),
  confidence: z.number().min(0).max(1),
});
export type Detection = z.infer<typeof DetectionSchema>;
