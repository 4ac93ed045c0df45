package dev.mmr.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Device addresses handed to the libraries keep their value (a shadowed field would silently make them null). */
class CudaTest {
    @Test
    void pointerObjectsCarryTheDeviceAddress() {
        assertEquals(0x7f00_1234_5600L, Cuda.at(0x7f00_1234_5600L).address());
        assertEquals(0, Cuda.at(0x7f00_1234_5600L).position());
    }
}
