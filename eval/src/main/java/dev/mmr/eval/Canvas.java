package dev.mmr.eval;

import java.awt.Color;

/** The few drawing operations a plot needs, so one plot routine renders both SVG and PNG. Coordinates in pixels, y down. */
interface Canvas {

    enum Anchor { START, MIDDLE, END }

    void line(double x1, double y1, double x2, double y2, Color color, double width);

    void circle(double x, double y, double radius, Color fill);

    void square(double x, double y, double half, Color fill);

    /** Text whose baseline starts, centres or ends at (x, y); {@code vertical} turns it 90 degrees counter-clockwise. */
    void text(double x, double y, String text, double size, Anchor anchor, Color color, boolean vertical);
}
