package dev.raftj.diffusion;

import dev.raftj.core.UserError;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import javax.imageio.ImageIO;

/** A PNG of grayscale images in [−1, 1] laid out in rows, each pixel drawn as scale×scale, 1-pixel gaps. */
public final class ImageGrid {
    private ImageGrid() {}

    /** Writes {@code images} (each size×size) as a grid of {@code cols} columns to {@code png}, atomically. */
    public static void write(Path png, float[] images, int size, int cols, int scale) {
        int n = images.length / (size * size), rows = (n + cols - 1) / cols, cell = size * scale + 1;
        BufferedImage img = new BufferedImage(cols * cell + 1, rows * cell + 1, BufferedImage.TYPE_BYTE_GRAY);
        var raster = img.getRaster();
        for (int y = 0; y < img.getHeight(); y++) for (int x = 0; x < img.getWidth(); x++) raster.setSample(x, y, 0, 96);
        for (int i = 0; i < n; i++) {
            int ox = (i % cols) * cell + 1, oy = (i / cols) * cell + 1;
            for (int y = 0; y < size * scale; y++) {
                for (int x = 0; x < size * scale; x++) {
                    float v = images[i * size * size + (y / scale) * size + x / scale];
                    raster.setSample(ox + x, oy + y, 0, Math.max(0, Math.min(255, Math.round((v + 1) / 2 * 255))));
                }
            }
        }
        Path tmp = png.resolveSibling(png.getFileName() + ".tmp.png");
        try {
            if (png.getParent() != null) Files.createDirectories(png.getParent());
            if (!ImageIO.write(img, "png", tmp.toFile())) throw new IOException("no PNG writer");
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserError(png + ": cannot write: " + e.getMessage(), e);
        }
    }
}
